import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../ports/logger.ts';
import type { RunView } from './scripted-run.ts';

/** A run event as the sandbox sent (or will send) it: the callback event, with its run's sequence number. */
export interface RunEvent {
  readonly id: string;
  readonly seq: number;
  readonly runKey: string;
  readonly type: string;
  readonly [field: string]: unknown;
}

/** What a sandbox needs to deliver its callbacks again after the plane restarted. */
export interface JournaledSandbox {
  readonly id: string;
  readonly sessionId: string;
  readonly epoch: number;
  readonly callbackUrl: string;
  readonly callbackSecret: string;
}

/** A run as the journal knows it: its events in order, how many Baton acknowledged, and how it ended. */
export interface JournaledRun {
  readonly sandboxId: string;
  readonly events: RunEvent[];
  /** Events up to this sequence number were acknowledged (a 2xx to their callback). */
  acked: number;
  end: RunView | undefined;
}

type Line =
  | ({ k: 'sandbox' } & JournaledSandbox)
  | { k: 'gone'; id: string }
  | { k: 'event'; sandboxId: string; event: RunEvent }
  | { k: 'ack'; runKey: string; seq: number }
  | { k: 'end'; runKey: string; run: RunView };

/**
 * The local plane's durable memory of what its sandboxes reported, as JSON lines in
 * `<dataDir>/journal.jsonl`: each sandbox's callback address and secret, every event of every run
 * (written before it is sent), which of them Baton acknowledged, and how each run ended. A plane
 * restarted on the same data directory delivers what was not acknowledged and still answers for
 * finished runs (`GET …/runs/{key}` and `…/events`). Like the run ledger it is written synchronously
 * and not fsynced (it must survive the process dying, not the machine), and it only grows: this is a
 * stand-in for development and tests. The file is created readable by its owner only (it holds
 * callback secrets).
 */
export class RunJournal {
  readonly #sandboxes = new Map<string, JournaledSandbox>();
  readonly #gone = new Set<string>();
  readonly #runs = new Map<string, JournaledRun>();
  readonly #file: string;
  #fd: number | undefined;

  constructor(dataDir: string, logger: Logger) {
    mkdirSync(dataDir, { recursive: true });
    this.#file = join(dataDir, 'journal.jsonl');
    let text = '';
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch {
      // no journal yet: a fresh data directory
    }
    for (const raw of text.split('\n')) {
      if (raw.trim() === '') continue;
      try {
        this.#apply(JSON.parse(raw) as Line);
      } catch {
        // A torn last line from a crash mid-write: that event was never sent, so it is sent by nobody.
        logger.warn({ file: this.#file }, 'ignoring a torn journal line');
      }
    }
    this.#fd = openSync(this.#file, 'a', 0o600);
  }

  /** Records a new sandbox (before it sends anything). */
  sandbox(sandbox: JournaledSandbox): void {
    this.#write({ k: 'sandbox', ...sandbox });
  }

  /** The sandbox was destroyed or replaced: nothing of it is delivered any more (its runs stay readable). */
  gone(sandboxId: string): void {
    if (!this.#gone.has(sandboxId)) this.#write({ k: 'gone', id: sandboxId });
  }

  /** Records a run event before it is sent. */
  event(sandboxId: string, event: RunEvent): void {
    this.#write({ k: 'event', sandboxId, event });
  }

  /** Baton acknowledged the run's events up to `seq`. */
  ack(runKey: string, seq: number): void {
    const run = this.#runs.get(runKey);
    if (run !== undefined && seq > run.acked) this.#write({ k: 'ack', runKey, seq });
  }

  /** The run ended (succeeded, failed or cancelled) as `run` shows. */
  ended(runKey: string, run: RunView): void {
    this.#write({ k: 'end', runKey, run });
  }

  /** The run, if any of its events was journaled. */
  run(runKey: string): JournaledRun | undefined {
    return this.#runs.get(runKey);
  }

  /** Sandboxes not gone that have events Baton has not acknowledged, with those events by run. */
  undelivered(): { sandbox: JournaledSandbox; runs: Map<string, RunEvent[]> }[] {
    const out = new Map<string, { sandbox: JournaledSandbox; runs: Map<string, RunEvent[]> }>();
    for (const [runKey, run] of this.#runs) {
      const sandbox = this.#sandboxes.get(run.sandboxId);
      const pending = run.events.filter((e) => e.seq > run.acked);
      if (sandbox === undefined || this.#gone.has(sandbox.id) || pending.length === 0) continue;
      const entry = out.get(sandbox.id) ?? { sandbox, runs: new Map<string, RunEvent[]>() };
      entry.runs.set(runKey, pending);
      out.set(sandbox.id, entry);
    }
    return [...out.values()];
  }

  /** Closes the file (the plane is stopping). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #write(line: Line): void {
    if (this.#fd === undefined) return; // closing: the process is on its way out
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
    this.#apply(line);
  }

  #apply(line: Line): void {
    switch (line.k) {
      case 'sandbox': {
        const { k: _, ...sandbox } = line;
        this.#sandboxes.set(sandbox.id, sandbox);
        return;
      }
      case 'gone':
        this.#gone.add(line.id);
        return;
      case 'event': {
        const run = this.#runs.get(line.event.runKey) ?? {
          sandboxId: line.sandboxId,
          events: [],
          acked: 0,
          end: undefined,
        };
        run.events.push(line.event);
        this.#runs.set(line.event.runKey, run);
        return;
      }
      case 'ack': {
        const run = this.#runs.get(line.runKey);
        if (run !== undefined) run.acked = Math.max(run.acked, line.seq);
        return;
      }
      case 'end': {
        const run = this.#runs.get(line.runKey);
        if (run !== undefined) run.end = line.run;
        return;
      }
    }
  }
}
