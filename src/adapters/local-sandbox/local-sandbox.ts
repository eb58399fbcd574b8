import { randomUUID } from 'node:crypto';
import type { Logger } from '../../ports/logger.ts';
import { CallbackSender, heartbeatLane } from './callback-sender.ts';
import type { RunEvent, RunJournal } from './run-journal.ts';
import type { CreateSandboxBody, StartRunBody } from './schemas.ts';
import { ScriptedRun } from './scripted-run.ts';

/** A sandbox's status at the plane (`gone` is not a status: a gone sandbox is simply unknown). */
export type LocalSandboxStatus = 'starting' | 'running' | 'stopping' | 'stopped';

/** A sandbox as the provisioning API shows it. */
export interface SandboxView {
  readonly id: string;
  readonly status: LocalSandboxStatus;
  readonly url: string;
  readonly sessionId: string;
  readonly epoch: number;
  /** Where it runs: always `local` (this machine). */
  readonly region: string;
}

// A new sandbox is `starting` for a moment, like a real VM, so clients must poll for `running`.
const startupMs = 20;

/**
 * One sandbox of the local plane: its lifecycle, heartbeat and runs, all in memory. It reports
 * through signed callbacks until it stops (Baton answered 410), crashes (a run's `crash` outcome)
 * or is destroyed; after that it sends nothing more.
 */
export class LocalSandbox {
  readonly id: string;
  readonly url: string;
  readonly sessionId: string;
  readonly epoch: number;
  /** Keys this sandbox was asked to start (started here or not): the ones its API answers for. */
  readonly known = new Set<string>();
  /** Runs this sandbox started. */
  readonly runs = new Map<string, ScriptedRun>();
  /** Users Baton opened a terminal for (`POST …/terminals`): the only subjects its terminal admits. */
  readonly terminalUsers = new Set<string>();
  #status: LocalSandboxStatus = 'starting';
  readonly #spec: CreateSandboxBody;
  readonly #logger: Logger;
  readonly #sender: CallbackSender;
  readonly #onCrash: (sandbox: LocalSandbox) => void;
  readonly #journal: RunJournal;
  /** The last sequence number given to an event of each run. */
  readonly #seqs = new Map<string, number>();
  #timer: ReturnType<typeof setTimeout> | ReturnType<typeof setInterval> | undefined;

  constructor(options: {
    id: string;
    url: string;
    spec: CreateSandboxBody;
    logger: Logger;
    journal: RunJournal;
    backoff?: { readonly firstMs: number; readonly maxMs: number };
    onCrash: (sandbox: LocalSandbox) => void;
  }) {
    this.id = options.id;
    this.url = options.url;
    this.sessionId = options.spec.sessionId;
    this.epoch = options.spec.epoch;
    this.#spec = options.spec;
    this.#logger = options.logger.child({ sandboxId: this.id });
    this.#onCrash = options.onCrash;
    this.#journal = options.journal;
    this.#journal.sandbox({
      id: this.id,
      sessionId: this.sessionId,
      epoch: this.epoch,
      callbackUrl: this.#spec.callbackUrl,
      callbackSecret: this.#spec.callbackSecret,
    });
    this.#sender = new CallbackSender({
      callbackUrl: this.#spec.callbackUrl,
      callbackSecret: this.#spec.callbackSecret,
      logger: this.#logger,
      ...(options.backoff === undefined
        ? {}
        : { backoffMs: options.backoff.firstMs, maxBackoffMs: options.backoff.maxMs }),
      onReplaced: () => this.stop(),
      onDelivered: (events) => acknowledge(this.#journal, events),
    });
    this.#timer = setTimeout(() => this.#boot(), startupMs);
  }

  /** Its status now. */
  get status(): LocalSandboxStatus {
    return this.#status;
  }

  /** Where it reports: Baton's callback URL, which also says where Baton's keys are. */
  get callbackUrl(): string {
    return this.#spec.callbackUrl;
  }

  /** How the provisioning API shows it. */
  view(): SandboxView {
    return {
      id: this.id,
      status: this.#status,
      url: this.url,
      sessionId: this.sessionId,
      epoch: this.epoch,
      region: 'local',
    };
  }

  /** Starts a run (the plane has checked the key is new and recorded it). */
  startRun(request: StartRunBody, startedAt: string): ScriptedRun {
    const key = request.idempotencyKey;
    const run = new ScriptedRun(
      request,
      { emit: (type, data) => this.#emit(type, data, key), crash: () => this.crash() },
      startedAt,
    );
    this.runs.set(key, run);
    this.known.add(key);
    this.#logger.debug({ runKey: key }, 'run started');
    run.start();
    return run;
  }

  /** Baton said this sandbox was replaced (410): it stops working and reporting, but stays listed as `stopped`. */
  stop(): void {
    if (this.#halt()) this.#status = 'stopped';
    this.#journal.gone(this.id);
  }

  /** Dies at once (outcome `crash`): the plane forgets it, so it is gone (404) from now on. */
  crash(): void {
    if (!this.#halt()) return;
    this.#journal.gone(this.id);
    this.#logger.warn({}, 'sandbox crashed (scripted)');
    this.#onCrash(this);
  }

  /** Stops it for good (destroy or plane shutdown); resolves once no callback is in flight. */
  async destroy(): Promise<void> {
    this.#halt();
    this.#status = 'stopped';
    await this.#sender.settled();
  }

  #boot(): void {
    this.#status = 'running';
    this.#heartbeat();
    this.#timer = setInterval(() => this.#heartbeat(), this.#spec.heartbeatSeconds * 1000);
  }

  #heartbeat(): void {
    // A beat still being retried makes the next one pointless: skip it rather than pile up.
    if (!this.#sender.busy(heartbeatLane)) this.#emit('heartbeat', {});
  }

  #emit(type: string, data: Record<string, unknown>, runKey?: string): void {
    if (this.#status !== 'running') return;
    const event = {
      id: randomUUID(),
      sessionId: this.sessionId,
      epoch: this.epoch,
      sandboxId: this.id,
      at: new Date().toISOString(),
      type,
      data,
    };
    if (runKey === undefined) {
      this.#sender.send(heartbeatLane, event);
      return;
    }
    // A run's events are journaled before they are sent: kept until Baton acknowledges them, and
    // readable (`GET …/runs/{key}/events`) after that.
    const seq = (this.#seqs.get(runKey) ?? 0) + 1;
    this.#seqs.set(runKey, seq);
    const runEvent: RunEvent = { ...event, runKey, seq };
    this.#journal.event(this.id, runEvent);
    if (type === 'run.completed' || type === 'run.failed') {
      const run = this.runs.get(runKey);
      if (run !== undefined) this.#journal.ended(runKey, run.view());
    }
    this.#sender.send(runKey, runEvent);
  }

  /** Stops timers, runs and callbacks; false when it had already stopped. */
  #halt(): boolean {
    if (this.#status === 'stopped' || this.#status === 'stopping') return false;
    this.#status = 'stopping';
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    this.#sender.stop();
    for (const run of this.runs.values()) run.lose();
    return true;
  }
}

/** Baton answered 2xx to a callback with these events: each run's events up to the last one are acknowledged. */
export function acknowledge(journal: RunJournal, events: readonly { readonly type: string }[]): void {
  const last = new Map<string, number>();
  for (const event of events as readonly Partial<RunEvent>[])
    if (typeof event.runKey === 'string' && typeof event.seq === 'number')
      last.set(event.runKey, Math.max(last.get(event.runKey) ?? 0, event.seq));
  for (const [runKey, seq] of last) journal.ack(runKey, seq);
}
