import { randomBytes } from 'node:crypto';
import type { Logger } from '../../ports/logger.ts';
import { CallbackSender } from './callback-sender.ts';
import { acknowledge, LocalSandbox } from './local-sandbox.ts';
import { RunJournal, type RunEvent } from './run-journal.ts';
import { RunLedger, type LedgerEntry } from './run-ledger.ts';
import type { CreateSandboxBody, StartRunBody } from './schemas.ts';
import { lostRunError, type RunView, type ScriptedRun } from './scripted-run.ts';

/** What starting a run answered: 201 when this request started it, 200 with the known run otherwise. */
export type StartRunAnswer =
  | {
      readonly created: true;
      readonly body: { idempotencyKey: string; status: 'running'; created: true; startedAt: string };
    }
  | { readonly created: false; readonly body: RunView };

/**
 * The local plane's state, free of HTTP: its sandboxes (in memory only, so unknown after a restart)
 * and the persisted run ledger that makes every idempotency key start at most once, plane-wide and
 * across restarts.
 */
export class SandboxPlane {
  readonly #sandboxes = new Map<string, LocalSandbox>();
  // (sessionId, epoch) -> sandbox id: creation is idempotent per session epoch.
  readonly #bySessionEpoch = new Map<string, string>();
  // Every run this process started, whichever sandbox ran it: a key asked of another sandbox answers its state.
  readonly #runs = new Map<string, ScriptedRun>();
  readonly #ledger: RunLedger;
  readonly #journal: RunJournal;
  readonly #logger: Logger;
  /** Senders of what sandboxes of an earlier process reported and Baton has not acknowledged yet. */
  readonly #resumed: CallbackSender[] = [];

  readonly #backoff: { readonly firstMs: number; readonly maxMs: number } | undefined;

  constructor(options: {
    dataDir: string;
    logger: Logger;
    callbackBackoff?: { readonly firstMs: number; readonly maxMs: number };
  }) {
    this.#logger = options.logger;
    this.#backoff = options.callbackBackoff;
    this.#ledger = new RunLedger(options.dataDir, options.logger);
    this.#journal = new RunJournal(options.dataDir, options.logger);
    this.#resume();
  }

  /** Creates the sandbox for this session epoch, or returns the one that exists (`created: false`). */
  create(spec: CreateSandboxBody, planeUrl: string): { sandbox: LocalSandbox; created: boolean } {
    const slot = `${spec.sessionId}/${spec.epoch}`;
    const existing = this.#sandboxes.get(this.#bySessionEpoch.get(slot) ?? '');
    if (existing !== undefined) return { sandbox: existing, created: false };
    const id = `sbx-${randomBytes(8).toString('hex')}`;
    const sandbox = new LocalSandbox({
      id,
      url: `${planeUrl}/v1/sandboxes/${id}`,
      spec,
      logger: this.#logger,
      journal: this.#journal,
      ...(this.#backoff === undefined ? {} : { backoff: this.#backoff }),
      onCrash: (crashed) => this.#forget(crashed),
    });
    this.#sandboxes.set(id, sandbox);
    this.#bySessionEpoch.set(slot, id);
    this.#logger.info({ sandboxId: id, epoch: spec.epoch }, 'sandbox created');
    return { sandbox, created: true };
  }

  /** The sandbox, unless it is unknown, crashed or destroyed. */
  get(id: string): LocalSandbox | undefined {
    return this.#sandboxes.get(id);
  }

  /** Stops and forgets the sandbox (nothing for an unknown one). */
  async destroy(id: string): Promise<void> {
    const sandbox = this.#sandboxes.get(id);
    if (sandbox === undefined) return;
    this.#forget(sandbox);
    this.#journal.gone(id);
    await sandbox.destroy();
    this.#logger.info({ sandboxId: id }, 'sandbox destroyed');
  }

  /**
   * Starts the run unless the key was ever started on this plane. The ledger line is written before
   * the run starts, so a crash in between loses the run rather than ever starting it twice.
   */
  startRun(sandbox: LocalSandbox, request: StartRunBody): StartRunAnswer {
    const key = request.idempotencyKey;
    sandbox.known.add(key);
    const entry = this.#ledger.get(key);
    if (entry !== undefined) {
      entry.requests += 1;
      return { created: false, body: this.#runs.get(key)?.view() ?? lostRun(entry) };
    }
    const startedAt = new Date().toISOString();
    const credentialNames =
      request.credentials === undefined ? {} : { credentialNames: Object.keys(request.credentials).sort() };
    const subAgents = request.subAgents === undefined ? {} : { subAgents: request.subAgents };
    this.#ledger.record({
      idempotencyKey: key,
      sandboxId: sandbox.id,
      sessionId: sandbox.sessionId,
      epoch: sandbox.epoch,
      startedAt,
      ...credentialNames,
      profile: request.profile,
      ...subAgents,
    });
    const run = sandbox.startRun(request, startedAt);
    this.#runs.set(key, run);
    return { created: true, body: { idempotencyKey: key, status: 'running', created: true, startedAt: run.startedAt } };
  }

  /** The run as this sandbox knows it, or undefined when it was never asked for the key. */
  inspectRun(sandbox: LocalSandbox, key: string): RunView | undefined {
    if (!sandbox.known.has(key)) return undefined;
    const entry = this.#ledger.get(key);
    const view =
      this.#runs.get(key)?.view() ?? this.#journal.run(key)?.end ?? (entry === undefined ? undefined : lostRun(entry));
    return view === undefined ? undefined : { ...view, lastSeq: this.#journal.run(key)?.events.length ?? 0 };
  }

  /**
   * A finished run of a sandbox that is no longer live (destroyed, replaced, or of an earlier
   * process of this plane), from the journal: what it reported stays readable.
   */
  finishedRun(sandboxId: string, key: string): RunView | undefined {
    const run = this.#journal.run(key);
    if (run?.sandboxId !== sandboxId || run.end === undefined) return undefined;
    return { ...run.end, lastSeq: run.events.length };
  }

  /** The run's events after sequence number `after`, at most `limit`, in order. */
  events(key: string, after: number, limit: number): { events: RunEvent[]; hasMore: boolean } {
    const all = this.#journal.run(key)?.events ?? [];
    const next = all.filter((e) => e.seq > after);
    return { events: next.slice(0, limit), hasMore: next.length > limit };
  }

  /** Cancels the run if this sandbox runs it; returns its state, or undefined for an unknown key. */
  cancelRun(sandbox: LocalSandbox, key: string): RunView | undefined {
    const run = sandbox.runs.get(key);
    if (run !== undefined && run.view().status === 'running') {
      run.cancel();
      if (this.#journal.run(key) !== undefined) this.#journal.ended(key, run.view());
    }
    return this.inspectRun(sandbox, key);
  }

  /** Every key the plane started, with how often it was asked. */
  ledger(): LedgerEntry[] {
    return this.#ledger.list();
  }

  /** Destroys every sandbox (no callback after this resolves) and closes the ledger. */
  async close(): Promise<void> {
    const all = [...this.#sandboxes.values()];
    for (const sandbox of all) this.#forget(sandbox);
    for (const sender of this.#resumed) sender.stop();
    await Promise.all([...all.map((sandbox) => sandbox.destroy()), ...this.#resumed.map((sender) => sender.settled())]);
    this.#ledger.close();
    this.#journal.close();
  }

  /**
   * Delivers what sandboxes of an earlier process of this plane reported and Baton has not
   * acknowledged: their runs ended with that process, but what they reported is not lost.
   */
  #resume(): void {
    for (const { sandbox, runs } of this.#journal.undelivered()) {
      const logger = this.#logger.child({ sandboxId: sandbox.id, resumed: true });
      const sender: CallbackSender = new CallbackSender({
        callbackUrl: sandbox.callbackUrl,
        callbackSecret: sandbox.callbackSecret,
        logger,
        ...(this.#backoff === undefined ? {} : { backoffMs: this.#backoff.firstMs, maxBackoffMs: this.#backoff.maxMs }),
        onDelivered: (events) => acknowledge(this.#journal, events),
        onReplaced: () => {
          this.#journal.gone(sandbox.id);
          sender.stop();
        },
      });
      for (const [runKey, events] of runs) for (const event of events) sender.send(runKey, event);
      this.#resumed.push(sender);
      logger.info({ runs: runs.size }, 'delivering what an earlier process did not');
    }
  }

  #forget(sandbox: LocalSandbox): void {
    this.#sandboxes.delete(sandbox.id);
    const slot = `${sandbox.sessionId}/${sandbox.epoch}`;
    if (this.#bySessionEpoch.get(slot) === sandbox.id) this.#bySessionEpoch.delete(slot);
  }
}

/** A key known only from the ledger: its run died with its sandbox or with an earlier process. */
function lostRun(entry: LedgerEntry): RunView {
  return {
    idempotencyKey: entry.idempotencyKey,
    status: 'failed',
    created: false,
    startedAt: entry.startedAt,
    error: { message: lostRunError, retryable: true },
  };
}
