import * as Y from 'yjs';
import {
  UnstorableDocumentError,
  type DocumentStore,
  type ProjectedItem,
  type ProjectionChange,
} from '../../ports/document-store.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Timers } from '../../ports/timers.ts';
import { readItems } from './document-model.ts';
import { parseDocumentName } from './document-name.ts';

/**
 * How long to wait before writing again after the database failed: short and capped, so that
 * edits held during an outage reach Postgres within a few hundred milliseconds of its return.
 */
const retryMs = (failures: number) => Math.min(250, 25 * 2 ** failures);
/** A flush (at shutdown) gives up after this many failed attempts in a row (some 15 s). */
const maxFlushFailures = 60;
/** While the database fails, every this many attempts are logged again. */
const logEvery = 40;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Pending {
  readonly doc: Y.Doc;
  updates: Uint8Array[];
  waiters: Waiter[];
}

interface Tracked {
  /** The projection as last written (item id → JSON), or undefined before the first write. */
  projected: Map<string, string> | undefined;
  /** Log rows this instance wrote since the last compaction: the live doc contains them all. */
  written: number[];
}

/** One document's part of a write: its merged log row and, when items changed, its projection. */
interface Entry {
  readonly dashboardId: string;
  readonly pending: Pending;
  readonly update: Uint8Array;
  readonly projection: { readonly change: ProjectionChange; readonly projected: Map<string, string> } | undefined;
}

/** A document the log could not store completely (shown in `/readyz`, logged once). */
export interface DocumentLogAlert {
  readonly dashboardId: string;
  /**
   * `projection`: its updates are durable but its items projection (`GET …/items`) is stale;
   * `refused`: its updates themselves could not be stored and were dropped (not acknowledged).
   */
  readonly kind: 'projection' | 'refused';
  readonly reason: string;
}

/** How the log is doing: failed attempts in a row (the database) and documents it could not store. */
export interface DocumentLogHealth {
  readonly failedAttempts: number;
  readonly alerts: readonly DocumentLogAlert[];
}

/** Options of the durable log. */
export interface DocumentLogOptions {
  /** The group-commit window: how long the first update of a batch waits for company. */
  readonly windowMs: number;
  readonly logger: Logger;
  /** Counts the window and the retry backoff (a test clock moves them by hand). */
  readonly timers: Timers;
}

/**
 * The durable update log of live documents, with group commit. Documents are named as in the
 * protocol: a dashboard's own document by its id, its state document `<id>/state` (logged, compacted
 * and loaded the same way, without an items projection). Every update the server accepts is
 * recorded here; within `windowMs` the batch is written as one transaction (one merged row per
 * document, plus the items projection recomputed from the live document), and `record` resolves
 * once its update is durable. Runtime-neutral: the Node realtime server and the Durable Object use
 * the same class.
 *
 * One document never holds up the others. When the store refuses a batch's data
 * (`UnstorableDocumentError`), each document is written alone: the good ones go through at once; a
 * document whose projection cannot be stored keeps its update bytes (the row is written without the
 * projection); a document whose row itself cannot be stored is refused (its `record`s reject). Such
 * documents are alerts (logged once, in `health()`) and are written apart from the group from then
 * on. Any other failure is the database's: the whole batch is kept and tried again after a short
 * capped backoff. Compaction folds this instance's rows into the snapshot.
 */
export class DocumentLog {
  readonly #store: DocumentStore;
  readonly #options: DocumentLogOptions;
  #pending = new Map<string, Pending>();
  readonly #tracked = new Map<string, Tracked>();
  /** Documents observed for item changes, and those whose items changed since their last projection. */
  readonly #watched = new WeakSet<Y.Doc>();
  readonly #itemsChanged = new WeakSet<Y.Doc>();
  /** Documents that could not be stored completely; written alone until they can. */
  readonly #alerts = new Map<string, DocumentLogAlert>();
  /** Cancels the scheduled write, when one is. */
  #timer: (() => void) | undefined;
  #flushing: Promise<void> | undefined;
  /** The batch `#flushing` writes. */
  #inFlight = new Map<string, Pending>();
  #failures = 0;

  constructor(store: DocumentStore, options: DocumentLogOptions) {
    this.#store = store;
    this.#options = options;
  }

  /**
   * Records an accepted update of `doc`; resolves when it is durable. Rejects with
   * `UnstorableDocumentError` when the store refuses the document's updates (e.g. its dashboard
   * was deleted): that update is not durable and never will be.
   */
  record(dashboardId: string, doc: Y.Doc, update: Uint8Array): Promise<void> {
    this.#watch(doc);
    const pending = this.#pending.get(dashboardId) ?? { doc, updates: [], waiters: [] };
    this.#pending.set(dashboardId, pending);
    pending.updates.push(update);
    const durable = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    this.#schedule(this.#options.windowMs);
    return durable;
  }

  /**
   * Resolves once every update recorded so far for the document is durable (rejects as their
   * `record`s do); undefined when nothing is waiting. An acknowledgement that covers more than the
   * update it answers waits for this (a client syncing with state this instance logged, not it).
   */
  settled(dashboardId: string): Promise<void> | undefined {
    // A pending batch is written after the one in flight (or with it, when that one fails).
    const waiting = this.#pending.get(dashboardId) ?? this.#inFlight.get(dashboardId);
    if (waiting === undefined) return undefined;
    return new Promise<void>((resolve, reject) => waiting.waiters.push({ resolve, reject }));
  }

  /** Writes everything recorded so far; resolves when it is durable (or refused). */
  async flush(): Promise<void> {
    this.#timer?.();
    this.#timer = undefined;
    while (this.#flushing !== undefined || this.#pending.size > 0) {
      if (this.#flushing !== undefined) await this.#flushing;
      else await this.#run();
      if (this.#failures >= maxFlushFailures)
        throw new Error(`The document update log could not be written ${this.#failures} times in a row`);
      if (this.#failures > 0) await this.#options.timers.sleep(retryMs(this.#failures));
    }
  }

  /** Flushes, then folds the rows this instance wrote for the document into its snapshot. */
  async compact(dashboardId: string, doc: Y.Doc): Promise<void> {
    await this.flush();
    const tracked = this.#tracked.get(dashboardId);
    const folded = tracked?.written ?? [];
    const state = Y.encodeStateAsUpdate(doc);
    await this.#store.compact(
      dashboardId,
      state,
      folded,
      (updates) => Y.mergeUpdates(updates),
      (update) => Y.encodeStateVectorFromUpdate(update),
    );
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

  /** Forgets an unloaded document (after its final compaction). Its alert stays until it is stored. */
  forget(dashboardId: string): void {
    this.#tracked.delete(dashboardId);
  }

  /** Failed attempts in a row, and the documents that could not be stored completely. */
  health(): DocumentLogHealth {
    return { failedAttempts: this.#failures, alerts: [...this.#alerts.values()] };
  }

  #schedule(delayMs: number): void {
    if (this.#timer !== undefined || this.#flushing !== undefined) return;
    this.#timer = this.#options.timers.after(delayMs, () => {
      this.#timer = undefined;
      void this.#run();
    });
  }

  #run(): Promise<void> {
    const batch = this.#pending;
    this.#pending = new Map();
    this.#inFlight = batch;
    this.#flushing = this.#write(batch).finally(() => {
      this.#flushing = undefined;
      this.#inFlight = new Map();
      if (this.#pending.size > 0)
        this.#schedule(this.#failures === 0 ? this.#options.windowMs : retryMs(this.#failures));
    });
    return this.#flushing;
  }

  async #write(batch: Map<string, Pending>): Promise<void> {
    if (batch.size === 0) return;
    const entries = [...batch].map(([dashboardId, pending]) => this.#entry(dashboardId, pending));
    // Documents that failed before are written alone, so they cannot fail the group again.
    const grouped = entries.filter((e) => !this.#alerts.has(e.dashboardId));
    const alone = entries.filter((e) => this.#alerts.has(e.dashboardId));
    const retry: Entry[] = [];
    let cause: unknown;
    if (grouped.length > 0) {
      try {
        const seqs = await this.#store.append(
          grouped.map((e) => ({ dashboardId: e.dashboardId, update: e.update })),
          grouped.flatMap((e) => (e.projection === undefined ? [] : [e.projection.change])),
        );
        grouped.forEach((e, i) => this.#stored(e, seqs[i] as number, true));
      } catch (error) {
        // Some document's data cannot be stored: find out which by writing each alone.
        if (error instanceof UnstorableDocumentError) alone.unshift(...grouped);
        else {
          retry.push(...grouped);
          cause = error;
        }
      }
    }
    if (cause !== undefined) retry.push(...alone);
    else {
      // Side by side, so several bad documents cost the next batch one round trip, not one each.
      const outcomes = await Promise.all(alone.map((entry) => this.#writeAlone(entry)));
      outcomes.forEach((failed, i) => {
        if (failed === undefined) return;
        retry.push(alone[i] as Entry);
        cause = failed;
      });
    }
    if (retry.length > 0) this.#databaseFailed(cause, retry);
    else if (this.#failures > 0) {
      this.#options.logger.info({ attempts: this.#failures }, 'the document update log is written again');
      this.#failures = 0;
    }
  }

  /**
   * Writes one document in a transaction of its own; answers undefined when that settled it
   * (written, written without its projection, or refused), or the error when the database failed.
   */
  async #writeAlone(entry: Entry): Promise<unknown> {
    const row = [{ dashboardId: entry.dashboardId, update: entry.update }];
    try {
      const [seq] = await this.#store.append(row, entry.projection === undefined ? [] : [entry.projection.change]);
      this.#stored(entry, seq as number, true);
      return undefined;
    } catch (error) {
      if (!(error instanceof UnstorableDocumentError)) return error;
      if (entry.projection === undefined) {
        this.#refuse(entry, error);
        return undefined;
      }
      // The update bytes are the truth and must be kept; the projection is derived and can wait.
      try {
        const [seq] = await this.#store.append(row, []);
        this.#stored(entry, seq as number, false);
        this.#alert({ dashboardId: entry.dashboardId, kind: 'projection', reason: error.message });
        return undefined;
      } catch (again) {
        if (!(again instanceof UnstorableDocumentError)) return again;
        this.#refuse(entry, again);
        return undefined;
      }
    }
  }

  /** The document's log row is durable (with its projection, if it had one and `projected`). */
  #stored(entry: Entry, seq: number, projected: boolean): void {
    const tracked = this.#tracked.get(entry.dashboardId) ?? { projected: undefined, written: [] };
    tracked.written.push(seq);
    if (entry.projection !== undefined) tracked.projected = projected ? entry.projection.projected : undefined;
    this.#tracked.set(entry.dashboardId, tracked);
    this.#settle(entry);
    const alert = this.#alerts.get(entry.dashboardId);
    if (alert !== undefined && projected && (alert.kind === 'refused' || entry.projection !== undefined)) {
      this.#alerts.delete(entry.dashboardId);
      this.#options.logger.info(
        { dashboardId: entry.dashboardId, was: alert.kind },
        'a dashboard document is stored completely again',
      );
    }
    for (const waiter of entry.pending.waiters) waiter.resolve();
  }

  /** The document's updates cannot be stored: they are dropped, and whoever waits is told. */
  #refuse(entry: Entry, error: UnstorableDocumentError): void {
    this.#alert({ dashboardId: entry.dashboardId, kind: 'refused', reason: error.message });
    this.#settle(entry);
    if (entry.projection !== undefined) this.#itemsChanged.add(entry.pending.doc);
    for (const waiter of entry.pending.waiters) waiter.reject(error);
  }

  /** The entry's waiters are about to be told: a later `settled` must not wait on it. */
  #settle(entry: Entry): void {
    if (this.#inFlight.get(entry.dashboardId) === entry.pending) this.#inFlight.delete(entry.dashboardId);
  }

  #alert(alert: DocumentLogAlert): void {
    if (this.#alerts.get(alert.dashboardId)?.kind !== alert.kind) {
      const what =
        alert.kind === 'projection'
          ? 'its updates are durable, its items projection is not written'
          : 'its updates cannot be stored and were not acknowledged';
      this.#options.logger.error(
        { dashboardId: alert.dashboardId, reason: alert.reason },
        `a dashboard document could not be stored completely: ${what}`,
      );
    }
    this.#alerts.set(alert.dashboardId, alert);
  }

  /** The database failed: keep the entries, in front of anything recorded since, and try again soon. */
  #databaseFailed(error: unknown, entries: readonly Entry[]): void {
    this.#failures += 1;
    if (this.#failures === 1 || this.#failures % logEvery === 0) {
      this.#options.logger.error(
        { err: error, documents: entries.length, attempt: this.#failures },
        'could not write the document update log; retrying',
      );
    }
    const kept = new Map<string, Pending>();
    for (const entry of entries) {
      // Its projection is computed again from the live document on the next attempt.
      if (entry.projection !== undefined) this.#itemsChanged.add(entry.pending.doc);
      kept.set(entry.dashboardId, entry.pending);
    }
    for (const [dashboardId, pending] of this.#pending) {
      const earlier = kept.get(dashboardId);
      if (earlier === undefined) kept.set(dashboardId, pending);
      else {
        earlier.updates.push(...pending.updates);
        earlier.waiters.push(...pending.waiters);
      }
    }
    this.#pending = kept;
  }

  /** One document's merged row, and its projection when its items changed (or none was written yet). */
  #entry(dashboardId: string, pending: Pending): Entry {
    const update = pending.updates.length === 1 ? (pending.updates[0] as Uint8Array) : Y.mergeUpdates(pending.updates);
    // The items projection is the dashboard document's; a state document (`<id>/state`) has no items.
    if (parseDocumentName(dashboardId)?.part === 'state')
      return { dashboardId, pending, update, projection: undefined };
    // Reading every item costs O(items): only when items or layout changed, or nothing was
    // projected yet (unless the projection failed: then it waits for the items to change).
    const unprojected =
      this.#tracked.get(dashboardId)?.projected === undefined && this.#alerts.get(dashboardId)?.kind !== 'projection';
    if (!this.#itemsChanged.has(pending.doc) && !unprojected)
      return { dashboardId, pending, update, projection: undefined };
    this.#itemsChanged.delete(pending.doc);
    return { dashboardId, pending, update, projection: this.#projection(dashboardId, pending.doc) };
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
      if (previous?.get(item.id) !== json)
        upserts.push({ id: item.id, kind: item.kind, item, updatedAt: new Date(item.updatedAt) });
    }
    const deletes = previous === undefined ? [] : [...previous.keys()].filter((id) => !projected.has(id));
    return { change: { dashboardId, upserts, deletes, replaceAll: previous === undefined }, projected };
  }
}
