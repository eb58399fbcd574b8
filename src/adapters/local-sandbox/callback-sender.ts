import { signCallback } from '../../app/sessions/callback-signature.ts';
import type { Logger } from '../../ports/logger.ts';

/** How a sandbox delivers its callbacks. */
export interface CallbackSenderOptions {
  readonly callbackUrl: string;
  readonly callbackSecret: string;
  readonly logger: Logger;
  /** Called once when Baton answers 410: this sandbox was replaced and must stop itself. */
  readonly onReplaced: () => void;
  /**
   * Told after Baton acknowledged (answered 2xx to) a callback with these events: the sandbox may
   * then forget them.
   */
  readonly onDelivered?: (events: readonly Event[]) => void;
  /** First backoff, doubled after each retry (default 200 ms). */
  readonly backoffMs?: number;
  /** The longest backoff between two attempts of a run's callback (default 5 s). */
  readonly maxBackoffMs?: number;
  /** Per-attempt timeout (default 5 s). */
  readonly attemptTimeoutMs?: number;
  /** How long a lane waits for more events before its first callback (default 2 ms). */
  readonly coalesceMs?: number;
}

/** At most this many events go in one callback (the contract's limit). */
const maxBatch = 50;

type Event = { readonly type: string };

/** The lane of heartbeats: a failed beat is not retried, the next one follows. */
export const heartbeatLane = 'heartbeat';

/**
 * Delivers one sandbox's signed callbacks. Events go into lanes (one per run, one for heartbeats):
 * a lane sends its next callback only after the previous one was answered or given up, so the
 * events of a run arrive in order, while a slow run never delays another run or the heartbeat.
 * Events of a lane that are ready together (queued while the previous callback was out, or in the
 * same moment, like an instant run's start and end) go out as one batch callback.
 *
 * A run's callback is retried after a network error, a 5xx, a 408 or a 429 for as long as the
 * sender lives, with exponential backoff (200 ms doubling, capped at `maxBackoffMs`): Baton may be
 * down for a deploy or a database recovery, and a run's events must all arrive, in order. A 2xx
 * acknowledges the events (`onDelivered`); a 410 stops the sandbox; another 4xx is not retried.
 * A heartbeat is not retried: the next beat follows.
 */
export class CallbackSender {
  readonly #options: CallbackSenderOptions;
  /** Queued events and the delivery loop of each lane that has work. */
  readonly #lanes = new Map<string, { queue: Event[]; done: Promise<void> }>();
  // Aborted on stop: in-flight requests and backoff waits end at once, queued events are dropped.
  readonly #abort = new AbortController();

  constructor(options: CallbackSenderOptions) {
    this.#options = options;
  }

  /** Queues `event` at the end of `lane`. Does nothing once stopped. */
  send(lane: string, event: Event): void {
    if (this.#abort.signal.aborted) return;
    const known = this.#lanes.get(lane);
    if (known !== undefined) {
      known.queue.push(event);
      return;
    }
    const state = { queue: [event], done: Promise.resolve() };
    this.#lanes.set(lane, state);
    state.done = this.#pump(lane, state);
  }

  /** True while `lane` has an event not yet answered (a heartbeat then skips a beat instead of piling up). */
  busy(lane: string): boolean {
    return this.#lanes.has(lane);
  }

  /** Stops sending: nothing queued or retried goes out after this. */
  stop(): void {
    this.#abort.abort();
  }

  /** Resolves once every lane has settled (after `stop`, promptly). */
  async settled(): Promise<void> {
    await Promise.all([...this.#lanes.values()].map((lane) => lane.done));
  }

  async #pump(lane: string, state: { queue: Event[] }): Promise<void> {
    // A moment first: what else is ready now joins the batch (events of other runs of the lane;
    // an instant run's start and end are queued in the same tick anyway).
    await new Promise((resolve) => setTimeout(resolve, this.#options.coalesceMs ?? 2));
    for (;;) {
      // Checked and removed in one step: an event sent from now on starts a new loop.
      if (state.queue.length === 0 || this.#abort.signal.aborted) {
        this.#lanes.delete(lane);
        return;
      }
      const batch = state.queue.splice(0, maxBatch);
      // A bug in one delivery must not wedge the lane: later events still go out.
      await this.#deliver(batch, lane !== heartbeatLane).catch((error: unknown) =>
        this.#options.logger.error({ err: error, types: batch.map((e) => e.type) }, 'callback delivery failed'),
      );
    }
  }

  async #deliver(events: readonly Event[], retry: boolean): Promise<void> {
    const {
      callbackUrl,
      callbackSecret,
      logger,
      backoffMs = 200,
      maxBackoffMs = 5_000,
      attemptTimeoutMs = 5_000,
    } = this.#options;
    const body = JSON.stringify(events.length === 1 ? events[0] : { events });
    const type = events.map((e) => e.type).join(',');
    const stopped = this.#abort.signal;
    for (let attempt = 0; ; attempt++) {
      if (stopped.aborted) return;
      let status: number | undefined;
      try {
        // Signed per attempt: a retry after a long backoff must not carry a stale timestamp.
        const headers = {
          'content-type': 'application/json',
          ...(await signCallback(callbackSecret, body, Date.now())),
        };
        const res = await fetch(callbackUrl, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.any([stopped, AbortSignal.timeout(attemptTimeoutMs)]),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined); // free the connection
      } catch (error) {
        if (stopped.aborted) return;
        logger.debug({ err: error, type, attempt }, 'callback failed; will retry');
      }
      if (status !== undefined && status < 300) {
        this.#options.onDelivered?.(events);
        return;
      }
      if (status === 410) {
        logger.info({ type }, 'Baton says this sandbox was replaced; stopping it');
        this.#options.onReplaced();
        return;
      }
      if (status !== undefined && status < 500 && status !== 408 && status !== 429) {
        // Baton refused the callback itself (400/401): sending it again cannot help.
        logger.warn({ type, status }, 'callback refused');
        return;
      }
      if (!retry) return;
      if (attempt === 5) logger.warn({ type }, 'callback not delivered yet; retrying until Baton answers');
      if (!(await sleep(Math.min(backoffMs * 2 ** Math.min(attempt, 20), maxBackoffMs), stopped))) return;
    }
  }
}

/** Waits `ms`; resolves false early when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
