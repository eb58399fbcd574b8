import type { Transaction } from './unit-of-work.ts';

/** A job as a worker receives it. */
export interface Job<T> {
  /** Queue-assigned id; stable across retries of the same job. */
  readonly id: string;
  /** The topic the job was sent to. */
  readonly topic: string;
  /** The payload given to `send` (JSON round-tripped). */
  readonly data: T;
}

/** Options of one `send`. */
export interface SendOptions {
  /** Send inside this transaction: the job exists only if the transaction commits. */
  readonly tx?: Transaction;
  /** Do not start the job before this time (a durable timer). */
  readonly startAfter?: Date;
  /** How many times a failed job is retried (default: the topic's setting). */
  readonly retryLimit?: number;
}

/** Options of a topic, set when it is first declared. */
export interface TopicOptions {
  /** Retries after a handler throws (default 2). */
  readonly retryLimit?: number;
  /** Seconds between retries (default 1). */
  readonly retryDelaySeconds?: number;
  /** Seconds a job may run before it is considered lost (its worker died) and retried (default 60). */
  readonly expireInSeconds?: number;
}

/** Options of a worker. */
export interface WorkOptions {
  /** How many jobs of this topic this process handles at once (default 1). */
  readonly concurrency?: number;
}

/**
 * Durable, at-least-once background jobs. Handlers must be idempotent: a job can be delivered
 * again after a crash. Node: pg-boss. Cloudflare: Queues behind a transactional outbox.
 */
export interface JobQueue {
  /** Connects and starts maintenance; must be called before anything else. */
  start(): Promise<void>;
  /** Stops taking new jobs, waits up to `timeoutMs` for running handlers, then disconnects. */
  stop(options?: { timeoutMs?: number }): Promise<void>;
  /** True between a successful `start` and `stop`. */
  isRunning(): boolean;
  /** Declares a topic (idempotent). A topic must be declared before jobs are sent to it. */
  declareTopic(topic: string, options?: TopicOptions): Promise<void>;
  /** Enqueues a job; returns its id. */
  send<T extends object>(topic: string, data: T, options?: SendOptions): Promise<string>;
  /** Enqueues several jobs of one topic at once (all or none with `tx`): what an outbox relay uses. */
  sendBatch(
    topic: string,
    jobs: ReadonlyArray<{ readonly data: object; readonly startAfter?: Date }>,
    options?: Pick<SendOptions, 'tx'>,
  ): Promise<void>;
  /** Handles the topic's jobs in this process until `stop`. A handler that throws fails the attempt. */
  work<T>(topic: string, handler: (job: Job<T>) => Promise<void>, options?: WorkOptions): Promise<void>;
}
