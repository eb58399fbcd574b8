import type { StartRunBody } from './schemas.ts';

/** A run's status, as the contract names it. */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** What a run's owner (its sandbox) does for it. */
export interface RunHost {
  /** Sends a run event (`run.progress`, ...) as a callback. */
  emit(type: string, data: Record<string, unknown>): void;
  /** The whole sandbox dies now (outcome `crash`). */
  crash(): void;
}

/** A run as `GET {sandbox}/runs/{key}` shows it. */
export interface RunView {
  readonly idempotencyKey: string;
  readonly status: RunStatus;
  readonly created: false;
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly output?: unknown;
  /** Why a failed run failed, and whether another attempt may succeed. */
  readonly error?: RunError;
  /** The sequence number of the run's last event so far (0: none yet). */
  readonly lastSeq?: number;
}

/** A failed run's error as the contract shows it. */
export interface RunError {
  readonly message: string;
  readonly retryable: boolean;
}

/** Why a run whose sandbox went away failed (also said of keys known only from the persisted ledger). */
export const lostRunError = 'the sandbox that ran this was lost';

/**
 * A run played from the script in its inputs: `run.started`, the `progress` reports spread evenly
 * over `duration`, then at `duration` the `artifacts` and the outcome (`succeed`, `fail`,
 * `fail-retryable`, `hang`: never ends, `crash`: the sandbox dies; a failure says `error` when the
 * script gives one). An attempt number (the key's last path segment) up to `failAttempts` fails
 * retryably whatever the outcome.
 */
export class ScriptedRun {
  readonly idempotencyKey: string;
  /** ISO time it started (the ledger records the same). */
  readonly startedAt: string;
  #status: RunStatus = 'running';
  #finishedAt: string | undefined;
  #output: unknown;
  #error: RunError | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #request: StartRunBody;
  readonly #host: RunHost;

  constructor(request: StartRunBody, host: RunHost, startedAt: string) {
    this.idempotencyKey = request.idempotencyKey;
    this.startedAt = startedAt;
    this.#request = request;
    this.#host = host;
  }

  /** Plays the script. `run.started` goes out before this returns. */
  start(): void {
    const { duration, progress } = this.#request.inputs;
    this.#host.emit('run.started', {});
    // One timer chain instead of a timer per step: steps due in the same millisecond keep their order.
    const steps = progress.map((item, i) => ({
      at: (duration * (i + 1)) / (progress.length + 1),
      act: () => this.#host.emit('run.progress', { ...item }),
    }));
    if (this.#request.inputs.outcome !== 'hang') steps.push({ at: duration, act: () => this.#finish() });
    if (duration === 0) {
      // An instant run plays out in this tick: its events are all queued before the callback lane
      // sends its first batch, however late a loaded machine runs the timers.
      for (const step of steps) if (this.#status === 'running') step.act();
      return;
    }
    const next = (i: number, now: number) => {
      const step = steps[i];
      if (step === undefined || this.#status !== 'running') return;
      this.#timer = setTimeout(() => {
        if (this.#status !== 'running') return;
        step.act();
        next(i + 1, step.at);
      }, step.at - now);
    };
    next(0, 0);
  }

  /** Stops a running run: it sends nothing more. A finished run keeps its status. */
  cancel(): void {
    this.#end('cancelled');
  }

  /** Stops a running run because its sandbox went away: it failed, and sends nothing more. */
  lose(): void {
    if (this.#end('failed')) this.#error = { message: lostRunError, retryable: true };
  }

  /** The run's current state. */
  view(): RunView {
    return {
      idempotencyKey: this.idempotencyKey,
      status: this.#status,
      created: false,
      startedAt: this.startedAt,
      ...(this.#finishedAt === undefined ? {} : { finishedAt: this.#finishedAt }),
      ...(this.#status === 'succeeded' ? { output: this.#output } : {}),
      ...(this.#error === undefined ? {} : { error: this.#error }),
    };
  }

  #finish(): void {
    const { inputs, profile, prompt } = this.#request;
    const attempt = Number(this.idempotencyKey.split('/').at(-1));
    const failsThisAttempt = Number.isInteger(attempt) && attempt <= inputs.failAttempts;
    if (!failsThisAttempt && inputs.outcome === 'crash') {
      this.#host.crash();
      return;
    }
    inputs.artifacts.forEach((artifact, i) =>
      this.#host.emit('run.artifact', { artifactId: `a${i + 1}`, ...artifact }),
    );
    if (!failsThisAttempt && inputs.outcome === 'succeed') {
      // The sub-agents it was given are echoed, so a caller can see what reached the sandbox.
      const subAgents =
        this.#request.subAgents === undefined || this.#request.subAgents.length === 0
          ? {}
          : { subAgents: this.#request.subAgents.map((agent) => agent.name) };
      this.#output = inputs.output ?? { summary: `${profile.name} ran: ${prompt}`, ...subAgents };
      this.#end('succeeded');
      this.#host.emit('run.completed', { output: this.#output });
      return;
    }
    const retryable = failsThisAttempt || inputs.outcome === 'fail-retryable';
    const error = failsThisAttempt
      ? `scripted failure (attempt ${attempt}; the first ${inputs.failAttempts} fail)`
      : (inputs.error ?? 'scripted failure');
    this.#end('failed');
    this.#error = { message: error, retryable };
    this.#host.emit('run.failed', { error, retryable });
  }

  /** Moves a running run to `status`; false when it had already ended. */
  #end(status: Exclude<RunStatus, 'running'>): boolean {
    if (this.#status !== 'running') return false;
    clearTimeout(this.#timer);
    this.#status = status;
    this.#finishedAt = new Date().toISOString();
    return true;
  }
}
