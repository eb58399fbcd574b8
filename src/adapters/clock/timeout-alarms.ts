import type { Alarms } from '../../ports/alarms.ts';

/**
 * Alarms on `setTimeout` (Node; unref'd, so they never keep a stopping process alive). An alarm
 * further away than `setTimeout` can wait (about 24.8 days) is not kept: its durable job fires it.
 */
export function createTimeoutAlarms(horizonMs = 2_147_483_647): Alarms {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  return {
    set(key, at, task) {
      clearTimeout(timers.get(key));
      timers.delete(key);
      const delay = Math.max(0, at.getTime() - Date.now());
      if (delay > horizonMs) return;
      const timer = setTimeout(() => {
        timers.delete(key);
        task();
      }, delay);
      timer.unref();
      timers.set(key, timer);
    },
    clear() {
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}
