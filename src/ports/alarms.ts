/**
 * Wake-ups in this process at a given time: the fast path of durable timers (a delayed job is the
 * durable one). Best effort: lost on restart, when the job takes over.
 */
export interface Alarms {
  /** Runs `task` at `at`; a later call with the same key replaces the earlier alarm. */
  set(key: string, at: Date, task: () => void): void;
  /** Drops every alarm (on shutdown). */
  clear(): void;
}
