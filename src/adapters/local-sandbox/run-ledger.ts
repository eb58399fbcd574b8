import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../ports/logger.ts';
import type { StartRunBody } from './schemas.ts';

/** One key the plane started a run for, as `GET /v1/ledger` lists it. */
export interface LedgerEntry {
  readonly idempotencyKey: string;
  readonly sandboxId: string;
  readonly sessionId: string;
  readonly epoch: number;
  /** ISO time the run started. */
  readonly startedAt: string;
  /** The names (never the values) of the credentials the run was given, e.g. `GITHUB_TOKEN`. */
  readonly credentialNames?: readonly string[];
  /** The profile the run was asked to use, with its version when Baton sent one. */
  readonly profile?: {
    readonly name: string;
    readonly model: string;
    readonly tools: readonly string[];
    readonly version?: number;
  };
  /** The sub-agents the run was given, as received (absent: none). */
  readonly subAgents?: StartRunBody['subAgents'];
  /** How often the key was asked to start: in this process, plus the request that started it. */
  requests: number;
}

/**
 * Every idempotency key the plane ever started a run for, kept as JSON lines in
 * `<dataDir>/ledger.jsonl` so that a restarted plane never starts a known key again. An entry is
 * written synchronously before its run starts: a crash of the process (SIGKILL included) can lose a
 * run, but a key is never started twice. It is not fsynced: what this stand-in must survive is its
 * process dying, which the OS's page cache outlives, and an fsync per run would block every run.
 */
export class RunLedger {
  readonly #entries = new Map<string, LedgerEntry>();
  readonly #file: string;
  #fd: number | undefined;

  constructor(dataDir: string, logger: Logger) {
    mkdirSync(dataDir, { recursive: true });
    this.#file = join(dataDir, 'ledger.jsonl');
    let text = '';
    try {
      text = readFileSync(this.#file, 'utf8');
    } catch {
      // no ledger yet: a fresh data directory
    }
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const entry = JSON.parse(line) as Omit<LedgerEntry, 'requests'>;
        if (typeof entry.idempotencyKey === 'string')
          this.#entries.set(entry.idempotencyKey, { ...entry, requests: 1 });
      } catch {
        // A torn last line from a crash mid-write: that run never started, so forgetting it is right.
        logger.warn({ file: this.#file }, 'ignoring a torn ledger line');
      }
    }
    this.#fd = openSync(this.#file, 'a');
  }

  /** The entry for `key`, if the plane ever started it. */
  get(key: string): LedgerEntry | undefined {
    return this.#entries.get(key);
  }

  /** Records that a run for `entry.idempotencyKey` is about to start. Call before starting it. */
  record(entry: Omit<LedgerEntry, 'requests'>): LedgerEntry {
    if (this.#fd === undefined) throw new Error('the run ledger is closed');
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
    const recorded = { ...entry, requests: 1 };
    this.#entries.set(entry.idempotencyKey, recorded);
    return recorded;
  }

  /** Every entry, in the order the runs started. */
  list(): LedgerEntry[] {
    return [...this.#entries.values()].map((entry) => ({ ...entry }));
  }

  /** Closes the file (the plane is stopping). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
