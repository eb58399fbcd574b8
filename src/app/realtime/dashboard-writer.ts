import type * as Y from 'yjs';
import type { Logger } from '../../ports/logger.ts';
import type { Realtime } from '../../ports/realtime.ts';
import type { Timers } from '../../ports/timers.ts';
import { changeDocument } from './change-document.ts';
import { documentName, type DocumentPart } from './document-name.ts';

/** What the dashboard writer needs. */
export interface DashboardWriterDeps {
  readonly realtime: Realtime;
  readonly logger: Logger;
  /** Counts the gathering delay (a test clock moves it by hand). */
  readonly timers: Timers;
  /** How long edits of a document gather before one change applies them (default 100 ms). */
  readonly delayMs?: number;
}

/**
 * Server writes into dashboards' state documents (`<id>/state`, which clients can only read) that
 * may come in bursts (executions, approvals, sessions, run progress, artifacts), and the few the
 * server makes in the dashboard document itself (clearing a closed approval's `decisions`), gathered
 * per document: edits wait a moment, then one document change applies them all. A later edit with
 * the same key replaces an earlier one still waiting. At most one write per document is in flight, so
 * writes land in order (concurrent server writes of one key would be merged by Yjs by client id, not
 * by time). Best effort: Postgres holds the truth.
 */
export class DashboardWriter {
  readonly #deps: DashboardWriterDeps;
  readonly #pending = new Map<string, Map<string, (doc: Y.Doc) => void>>();
  /** The gathering delay of each document that waits, as its cancel. */
  readonly #timers = new Map<string, () => void>();
  readonly #running = new Map<string, Promise<void>>();
  #closed = false;

  constructor(deps: DashboardWriterDeps) {
    this.#deps = deps;
  }

  /** Queues an edit of the dashboard's state document (or, with `part`, of the dashboard document) under `key`. */
  queue(dashboardId: string, key: string, edit: (doc: Y.Doc) => void, part: DocumentPart = 'state'): void {
    if (this.#closed) return;
    const name = documentName(dashboardId, part);
    let edits = this.#pending.get(name);
    if (edits === undefined) this.#pending.set(name, (edits = new Map()));
    edits.delete(key); // keeps the map in the order of the latest edits
    edits.set(key, edit);
    this.#arm(name);
  }

  /** Stops taking edits and waits for the writes in flight (a graceful stop, before realtime closes). */
  async close(): Promise<void> {
    this.#closed = true;
    for (const cancel of this.#timers.values()) cancel();
    this.#timers.clear();
    await Promise.allSettled([...this.#running.values()]);
  }

  /**
   * Writes every waiting edit now, without the gathering delay, and resolves once nothing is waiting
   * or in flight. For a runtime that may freeze after an invocation (a Worker, in `waitUntil`): a
   * timer there might never fire.
   */
  async flush(): Promise<void> {
    for (;;) {
      for (const [name, cancel] of this.#timers) {
        cancel();
        this.#timers.delete(name);
        this.#start(name);
      }
      const running = [...this.#running.values()];
      if (running.length === 0) return;
      await Promise.allSettled(running);
    }
  }

  #arm(name: string): void {
    if (this.#timers.has(name) || this.#running.has(name)) return;
    const cancel = this.#deps.timers.after(this.#deps.delayMs ?? 100, () => {
      this.#timers.delete(name);
      this.#start(name);
    });
    this.#timers.set(name, cancel);
  }

  #start(name: string): void {
    const run = this.#write(name).finally(() => {
      this.#running.delete(name);
      if (this.#pending.has(name) && !this.#closed) this.#arm(name);
    });
    this.#running.set(name, run);
  }

  async #write(name: string): Promise<void> {
    const edits = this.#pending.get(name);
    this.#pending.delete(name);
    if (edits === undefined) return;
    try {
      await changeDocument(this.#deps, name, (doc) => {
        doc.transact(() => {
          for (const edit of edits.values()) edit(doc);
        });
      });
    } catch (error) {
      this.#deps.logger.warn({ err: error, dashboardId: name }, 'could not show changes in the dashboard');
    }
  }
}
