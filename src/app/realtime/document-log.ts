import * as Y from 'yjs';
import type { DocumentStore, ProjectedItem, ProjectionChange } from '../../ports/document-store.ts';
import type { Logger } from '../../ports/logger.ts';
import { readItems } from './document-model.ts';

/** A flush (at shutdown) gives up after this many failed writes in a row. */
const maxFlushFailures = 8;
const backoffMs = (failures: number) => Math.min(5_000, 100 * 2 ** failures);

interface Pending {
  readonly doc: Y.Doc;
  updates: Uint8Array[];
  waiters: Array<{ resolve: () => void }>;
}

interface Tracked {
  /** The projection as last written (item id → JSON), or undefined before the first write. */
  projected: Map<string, string> | undefined;
  /** Log rows this instance wrote since the last compaction: the live doc contains them all. */
  written: number[];
}

/** Options of the durable log. */
export interface DocumentLogOptions {
  /** The group-commit window: how long the first update of a batch waits for company. */
  readonly windowMs: number;
  readonly logger: Logger;
}

/**
 * The durable update log of live documents, with group commit. Every update the server accepts is
 * recorded here; within `windowMs` the batch is written as one transaction (one merged row per
 * document, plus the items projection recomputed from the live document). A crash loses at most
 * the open window. Compaction folds this instance's rows into the snapshot. Runtime-neutral: the
 * Node realtime server and the Durable Object use the same class.
 */
export class DocumentLog {
  readonly #store: DocumentStore;
  readonly #options: DocumentLogOptions;
  #pending = new Map<string, Pending>();
  readonly #tracked = new Map<string, Tracked>();
  /** Documents observed for item changes, and those whose items changed since their last projection. */
  readonly #watched = new WeakSet<Y.Doc>();
  readonly #itemsChanged = new WeakSet<Y.Doc>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #flushing: Promise<void> | undefined;
  #failures = 0;

  constructor(store: DocumentStore, options: DocumentLogOptions) {
    this.#store = store;
    this.#options = options;
  }

  /** Records an accepted update of `doc`; resolves when it is durable. */
  record(dashboardId: string, doc: Y.Doc, update: Uint8Array): Promise<void> {
    this.#watch(doc);
    const pending = this.#pending.get(dashboardId) ?? { doc, updates: [], waiters: [] };
    this.#pending.set(dashboardId, pending);
    pending.updates.push(update);
    const durable = new Promise<void>((resolve) => pending.waiters.push({ resolve }));
    this.#schedule(this.#options.windowMs);
    return durable;
  }

  /** Writes everything recorded so far; resolves when it is durable. */
  async flush(): Promise<void> {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#flushing !== undefined || this.#pending.size > 0) {
      if (this.#flushing !== undefined) await this.#flushing;
      else await this.#run();
      if (this.#failures >= maxFlushFailures) throw new Error(`The document update log could not be written ${this.#failures} times in a row`);
      if (this.#failures > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs(this.#failures)));
    }
  }

  /** Flushes, then folds the rows this instance wrote for the document into its snapshot. */
  async compact(dashboardId: string, doc: Y.Doc): Promise<void> {
    await this.flush();
    const tracked = this.#tracked.get(dashboardId);
    const folded = tracked?.written ?? [];
    const state = Y.encodeStateAsUpdate(doc);
    await this.#store.compact(dashboardId, state, folded, (updates) => Y.mergeUpdates(updates), (update) => Y.encodeStateVectorFromUpdate(update));
    if (tracked !== undefined) tracked.written = tracked.written.slice(folded.length);
  }

  /**
   * Notes log rows a freshly loaded document was built from: the live document contains them, so
   * the next compaction may fold them too (whoever wrote them).
   */
  adopt(dashboardId: string, seqs: readonly number[]): void {
    const tracked = this.#tracked.get(dashboardId) ?? { projected: undefined, written: [] };
    tracked.written.push(...seqs);
    this.#tracked.set(dashboardId, tracked);
  }

  /** Forgets an unloaded document (after its final compaction). */
  forget(dashboardId: string): void {
    this.#tracked.delete(dashboardId);
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined || this.#flushing !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#run();
    }, delayMs);
  }

  #run(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
      if (this.#pending.size > 0) this.#schedule(this.#failures === 0 ? this.#options.windowMs : backoffMs(this.#failures));
    });
    return this.#flushing;
  }

  async #write(batch: Map<string, Pending>): Promise<void> {
    if (batch.size === 0) return;
    const rows: Array<{ dashboardId: string; update: Uint8Array }> = [];
    const projections: ProjectionChange[] = [];
    const nextProjections = new Map<string, Map<string, string>>();
    const reprojected: Y.Doc[] = [];
    for (const [dashboardId, pending] of batch) {
      rows.push({ dashboardId, update: pending.updates.length === 1 ? (pending.updates[0] as Uint8Array) : Y.mergeUpdates(pending.updates) });
      // Reading every item costs O(items): only when items or layout changed (or nothing was projected yet).
      if (this.#itemsChanged.has(pending.doc) || this.#tracked.get(dashboardId)?.projected === undefined) {
        this.#itemsChanged.delete(pending.doc);
        reprojected.push(pending.doc);
        const { change, projected } = this.#projection(dashboardId, pending.doc);
        projections.push(change);
        nextProjections.set(dashboardId, projected);
      }
    }
    try {
      const seqs = await this.#store.append(rows, projections);
      this.#failures = 0;
      rows.forEach((row, i) => {
        const tracked = this.#tracked.get(row.dashboardId) ?? { projected: undefined, written: [] };
        tracked.written.push(seqs[i] as number);
        tracked.projected = nextProjections.get(row.dashboardId) ?? tracked.projected;
        this.#tracked.set(row.dashboardId, tracked);
      });
      for (const pending of batch.values()) for (const waiter of pending.waiters) waiter.resolve();
    } catch (error) {
      // Keep the batch: put it back in front of anything recorded since, and try again later.
      this.#failures += 1;
      for (const doc of reprojected) this.#itemsChanged.add(doc);
      this.#options.logger.error({ err: error, documents: batch.size, attempt: this.#failures }, 'could not write the document update log; retrying');
      for (const [dashboardId, pending] of this.#pending) {
        const earlier = batch.get(dashboardId);
        if (earlier === undefined) batch.set(dashboardId, pending);
        else {
          earlier.updates.push(...pending.updates);
          earlier.waiters.push(...pending.waiters);
        }
      }
      this.#pending = batch;
    }
  }

  /** Notes, from now on, when a document's items or layout change (once per document). */
  #watch(doc: Y.Doc): void {
    if (this.#watched.has(doc)) return;
    this.#watched.add(doc);
    const mark = () => this.#itemsChanged.add(doc);
    doc.getMap('items').observeDeep(mark);
    doc.getMap('layout').observeDeep(mark);
  }

  /** The projection change since the last write: only items whose JSON changed, and deletions. */
  #projection(dashboardId: string, doc: Y.Doc): { change: ProjectionChange; projected: Map<string, string> } {
    const previous = this.#tracked.get(dashboardId)?.projected;
    const projected = new Map<string, string>();
    const upserts: ProjectedItem[] = [];
    for (const item of readItems(doc)) {
      const json = JSON.stringify(item);
      projected.set(item.id, json);
      if (previous?.get(item.id) !== json) upserts.push({ id: item.id, kind: item.kind, item, updatedAt: new Date(item.updatedAt) });
    }
    const deletes = previous === undefined ? [] : [...previous.keys()].filter((id) => !projected.has(id));
    return { change: { dashboardId, upserts, deletes, replaceAll: previous === undefined }, projected };
  }
}
