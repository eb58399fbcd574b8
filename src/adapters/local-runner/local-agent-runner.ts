import { closeSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AgentRunner, RunRequest, RunResult } from '../../ports/agent-runner.ts';
import type { Logger } from '../../ports/logger.ts';

/**
 * A stand-in execution plane in this process, for development and tests until the sandbox issue's
 * local sandbox replaces it. Runs are scripted by their input:
 * - `duration` (ms, default 0), `output` (default a summary),
 * - `outcome`: `succeed` (default), `fail` (not retryable), `fail-retryable`, `hang` (never answers),
 * - `failAttempts`: attempts up to this number fail (retryable), later ones succeed.
 * It keeps a ledger of the runs it started per idempotency key, so tests can prove nothing ran twice.
 * With `ledgerFile`, the ledger is a JSON-lines file that survives restarts: like a real sandbox, a key
 * started before a crash is never started again (its run died with the process; the step's timeout
 * and retry take over).
 */
export class LocalAgentRunner implements AgentRunner {
  readonly #logger: Logger;
  readonly #ledger = new Map<string, { requests: number; run: RunRequest; startedAt: number }>();
  readonly #timers = new Map<string, ReturnType<typeof setTimeout>>();
  #handler: ((result: RunResult) => Promise<void>) | undefined;

  readonly #ledgerFile: string | undefined;
  #ledgerFd: number | undefined;

  constructor(logger: Logger, options: { ledgerFile?: string } = {}) {
    this.#logger = logger;
    this.#ledgerFile = options.ledgerFile;
    if (this.#ledgerFile !== undefined) {
      mkdirSync(dirname(this.#ledgerFile), { recursive: true });
      let text = '';
      try {
        text = readFileSync(this.#ledgerFile, 'utf8');
      } catch {
        // no ledger yet
      }
      for (const line of text.split('\n')) {
        if (line.trim() === '') continue;
        try {
          const entry = JSON.parse(line) as RunRequest;
          this.#ledger.set(entry.key, { requests: 1, run: entry, startedAt: Number.NaN });
        } catch {
          // a torn last line from a crash: that run never started
        }
      }
    }
  }

  onResult(handler: (result: RunResult) => Promise<void>): void {
    this.#handler = handler;
  }

  async start(run: RunRequest): Promise<void> {
    const known = this.#ledger.get(run.key);
    if (known !== undefined) {
      known.requests += 1; // idempotent: a repeated key never starts a second run
      return;
    }
    this.#ledger.set(run.key, { requests: 1, run, startedAt: performance.now() });
    // Written before the run starts, synchronously: a crash can lose a run, never record one twice.
    if (this.#ledgerFile !== undefined) writeSync((this.#ledgerFd ??= openSync(this.#ledgerFile, 'a')), `${JSON.stringify(run)}\n`);
    const input = run.input as { duration?: unknown; outcome?: unknown; output?: unknown; failAttempts?: unknown };
    const duration = typeof input.duration === 'number' ? input.duration : 0;
    const failAttempts = typeof input.failAttempts === 'number' ? input.failAttempts : 0;
    const outcome = run.attempt <= failAttempts ? 'fail-retryable' : typeof input.outcome === 'string' ? input.outcome : 'succeed';
    if (outcome === 'hang') return;
    const result: RunResult =
      outcome === 'succeed'
        ? { key: run.key, outcome: 'succeeded', output: input.output ?? { summary: `${run.profile.name} ran: ${run.prompt}` } }
        : { key: run.key, outcome: 'failed', error: `scripted failure (attempt ${run.attempt})`, retryable: outcome === 'fail-retryable' };
    this.#timers.set(
      run.key,
      setTimeout(() => {
        this.#timers.delete(run.key);
        this.#handler?.(result).catch((error: unknown) => this.#logger.warn({ err: error, key: run.key }, 'local runner could not report a result'));
      }, duration),
    );
  }

  async cancel(key: string): Promise<void> {
    const timer = this.#timers.get(key);
    if (timer !== undefined) clearTimeout(timer);
    this.#timers.delete(key);
  }

  /** Every key this runner started a run for (once each), how often it was asked to, and when (performance.now(); NaN for runs of an earlier process). */
  ledger(): ReadonlyMap<string, { readonly started: 1; readonly requests: number; readonly startedAt: number }> {
    return new Map([...this.#ledger].map(([key, entry]) => [key, { started: 1 as const, requests: entry.requests, startedAt: entry.startedAt }]));
  }

  /** Stops pending results (shutdown). */
  close(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    if (this.#ledgerFd !== undefined) closeSync(this.#ledgerFd);
    this.#ledgerFd = undefined;
  }
}
