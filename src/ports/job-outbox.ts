import type { Transaction } from './unit-of-work.ts';

/**
 * A job written together with a state change, in the same statement or transaction, and moved to
 * the job queue after the commit (the transactional outbox). The state change and its jobs commit
 * together or not at all, whatever the queue is (pg-boss, Cloudflare Queues).
 */
export interface OutboxJob {
  /** The queue topic. */
  readonly topic: string;
  /** The payload (JSON). */
  readonly data: object;
  /** Do not start the job before this time (a durable timer). */
  readonly startAfter?: Date;
  /**
   * Lets `cancel` withdraw the job while it waits in the outbox (a delayed job stays there until it
   * is almost due), e.g. the backup of a dispatch that the fast path started.
   */
  readonly cancelKey?: string;
}

/** Moves committed outbox jobs to the job queue. */
export interface JobOutbox {
  /** Jobs were just committed: relay them soon (a timer also relays what a crashed process left). */
  kick(): void;
  /** Writes jobs in the caller's transaction: they reach the queue only if it commits (call `kick` after). */
  enqueue(tx: Transaction, jobs: readonly OutboxJob[]): Promise<void>;
  /**
   * Withdraws the jobs with these cancel keys that have not reached the queue yet (best effort:
   * one already relayed still runs, so its handler must find nothing to do). Calls close together
   * are written as one statement.
   */
  cancel(keys: readonly string[]): void;
}
