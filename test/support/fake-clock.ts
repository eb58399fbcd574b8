import type { Clock } from '../../src/ports/clock.ts';
import type { Timers } from '../../src/ports/timers.ts';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly task: () => void;
}

/**
 * A clock and timers that stand still until the test moves them: `advance` runs, in order, every
 * timer that falls due, letting the code each one wakes run (its promises settle) before the next.
 * Nothing sleeps for real, so a test on it does not depend on the machine's speed.
 */
export class FakeClock implements Clock, Timers {
  #now: number;
  #seq = 0;
  #pending: Pending[] = [];

  constructor(start: Date | number = Date.parse('2026-01-01T00:00:00Z')) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.#now);
  }

  after(ms: number, task: () => void): () => void {
    const pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, task };
    this.#pending.push(pending);
    return () => {
      this.#pending = this.#pending.filter((p) => p !== pending);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const cancel = this.after(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = () => {
        cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Timers set and not yet run or cancelled. */
  get pendingTimers(): number {
    return this.#pending.length;
  }

  /** Moves time `ms` forward, running the timers that fall due on the way (and those they set). */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (;;) {
      const next = [...this.#pending].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined || next.at > until) break;
      this.#pending = this.#pending.filter((p) => p !== next);
      this.#now = Math.max(this.#now, next.at);
      next.task();
      await settle();
    }
    this.#now = until;
    await settle();
  }
}

/** Lets every promise chain that can move without a timer move (a macrotask turn, a few times). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
