import type { Alarms } from '../../ports/alarms.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Timers } from '../../ports/timers.ts';
import { systemClock } from './system-clock.ts';
import { systemTimers } from './system-timers.ts';

/**
 * Alarms on the Timers port (on Node: unref'd timeouts, so they never keep a stopping process
 * alive). The delay is counted from the app's clock, the one that set `at`, so a test clock moves
 * them too. An alarm further away than `setTimeout` can wait (about 24.8 days) is not kept: its
 * durable job fires it.
 */
export function createTimeoutAlarms(
  clock: Clock = systemClock,
  timers: Timers = systemTimers,
  horizonMs = 2_147_483_647,
): Alarms {
  const pending = new Map<string, () => void>();
  return {
    set(key, at, task) {
      pending.get(key)?.();
      pending.delete(key);
      const delay = Math.max(0, at.getTime() - clock.now().getTime());
      if (delay > horizonMs) return;
      const cancel = timers.after(delay, () => {
        pending.delete(key);
        task();
      });
      pending.set(key, cancel);
    },
    clear() {
      for (const cancel of pending.values()) cancel();
      pending.clear();
    },
  };
}
