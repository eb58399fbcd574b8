import { DomainError } from '../domain/errors.ts';
import type { Transaction } from './unit-of-work.ts';

/** What is stored for one dashboard document. */
export interface StoredDocument {
  /** The compacted snapshot (a Yjs update), or null for a document never compacted. */
  readonly snapshot: Uint8Array | null;
  /** Log rows not yet folded into the snapshot, oldest first. */
  readonly updates: ReadonlyArray<{ readonly seq: number; readonly update: Uint8Array }>;
}

/** One item as the projection stores it (already validated against the document model). */
export interface ProjectedItem {
  readonly id: string;
  readonly kind: string;
  readonly item: Readonly<Record<string, unknown>>;
  readonly updatedAt: Date;
}

/** Changes to a document's projection: items to write and ids to delete. */
export interface ProjectionChange {
  readonly dashboardId: string;
  readonly upserts: readonly ProjectedItem[];
  readonly deletes: readonly string[];
  /** When true, every stored item not in `upserts` is deleted (the first write after loading). */
  readonly replaceAll: boolean;
}

/**
 * Durable storage of dashboard documents: snapshot + update log, and the items projection.
 * Postgres holds the truth; realtime servers keep documents in memory and write through this.
 * Documents are named as in the protocol: a dashboard's own document by the dashboard id, its
 * state document by `stateDocumentName(id)` (`<id>/state`); both are stored alike. `dashboardId`
 * in `append`'s updates is such a name; a projection is always the dashboard document's.
 */
export interface DocumentStore {
  /** The snapshot and the pending log rows of a document. */
  load(documentName: string): Promise<StoredDocument>;
  /**
   * Appends updates to the log and applies projection changes, all in one transaction (a group
   * commit). Returns the sequence numbers given to the rows, in input order. Text the database
   * cannot hold (U+0000, lone surrogates) is stored in the projection as U+FFFD. Rejects with
   * `UnstorableDocumentError` when the data itself cannot be stored (the same call would fail
   * again); any other rejection means the store failed or could not be reached (retry later).
   */
  append(
    updates: ReadonlyArray<{ readonly dashboardId: string; readonly update: Uint8Array }>,
    projections: readonly ProjectionChange[],
  ): Promise<number[]>;
  /**
   * Folds log rows into the snapshot: merges `state` into the stored snapshot (under a row lock, so
   * concurrent compactions by several instances cannot lose each other's work) and deletes the
   * rows `foldedSeqs`, which `state` is known to contain.
   */
  compact(
    documentName: string,
    state: Uint8Array,
    foldedSeqs: readonly number[],
    merge: (updates: Uint8Array[]) => Uint8Array,
    stateVector: (update: Uint8Array) => Uint8Array,
  ): Promise<void>;
  /** The projected items of a dashboard, oldest first. */
  listItems(dashboardId: string, tx?: Transaction): Promise<ProjectedItem[]>;
}

/**
 * What an append was given cannot be stored (a value the database refuses, a dashboard that no
 * longer exists): writing the same data again fails again. Which document is at fault is for the
 * caller to find out (e.g. by writing each alone); nothing of the failed call was written.
 */
export class UnstorableDocumentError extends DomainError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('document_unstorable', message, options);
  }
}
