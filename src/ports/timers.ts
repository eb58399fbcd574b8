/**
 * Waiting, from a port so that a test clock governs it too (test/support/fake-clock.ts advances
 * both by hand). Durations, not dates: a timer counts from when it is set.
 */
export interface Timers {
  /**
   * Runs `task` once, `ms` from now. The returned function cancels it (harmless once it ran). A
   * pending timer never keeps a stopping process alive.
   */
  after(ms: number, task: () => void): () => void;
  /** Resolves `ms` from now (at once for 0 or less); rejects with `signal.reason` as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
