import type { Timers } from '../../ports/timers.ts';

/**
 * Timers on the runtime's `setTimeout` (Node and workerd). On Node each timer is unref'd, so a
 * pending one never keeps a stopping process alive; workerd has no such notion (its timers are numbers).
 */
export const systemTimers: Timers = {
  after(ms, task) {
    const timer = setTimeout(task, Math.max(0, ms));
    (timer as { unref?: () => void }).unref?.();
    return () => clearTimeout(timer);
  },
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      // Not unref'd: whoever awaits a sleep wants it to end (a stop aborts it through `signal`).
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};
