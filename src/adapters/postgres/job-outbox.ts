import { sql } from 'kysely';
import type { JobOutbox, OutboxJob } from '../../ports/job-outbox.ts';
import type { JobQueue } from '../../ports/job-queue.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import type { Database } from './database.ts';
import { kyselyTransaction } from './unit-of-work.ts';

/** Options of the relay. */
export interface PostgresJobOutboxOptions {
  readonly db: Database;
  /** Where committed jobs go (pg-boss on Node). */
  readonly queue: Pick<JobQueue, 'sendBatch'>;
  readonly logger: Logger;
  /** How often to look for jobs nobody kicked for (left by a crashed process). Default 1000 ms. */
  readonly pollMs?: number;
  /** Jobs moved per transaction. Default 500. */
  readonly batchSize?: number;
  /**
   * A delayed job stays in the outbox until it is due within this many ms (default 3000, more than
   * the poll), then goes to the queue with its start time: until then `cancel` can withdraw it.
   */
  readonly lookaheadMs?: number;
}

/** The rows `jobs` become (for statements that carry them inside a larger JSON parameter). */
export function outboxRows(
  jobs: readonly OutboxJob[],
): Array<{ topic: string; data: object; start_after: string | null; cancel_key: string | null }> {
  return jobs.map((job) => ({
    topic: job.topic,
    data: job.data,
    start_after: job.startAfter?.toISOString() ?? null,
    cancel_key: job.cancelKey ?? null,
  }));
}

/** The rows `jobs` become, as one JSON parameter (for `insertOutboxJobs` and for SQL CTEs). */
export function outboxJobsJson(jobs: readonly OutboxJob[]): string {
  return JSON.stringify(outboxRows(jobs));
}

/** Writes jobs into the outbox inside `tx`; they reach the queue after the commit. */
export async function insertOutboxJobs(tx: Transaction, jobs: readonly OutboxJob[]): Promise<void> {
  if (jobs.length === 0) return;
  await sql`insert into job_outbox (topic, data, start_after, cancel_key)
    select x.topic, x.data, x.start_after, x.cancel_key from jsonb_to_recordset(${outboxJobsJson(jobs)}::jsonb) as
    x(topic text, data jsonb, start_after timestamptz, cancel_key text)`.execute(kyselyTransaction(tx));
}

/**
 * The relay of the transactional outbox: moves committed jobs to the queue, each exactly once (the
 * delete and the queue insert commit together; concurrent relays skip each other's rows). Kicked
 * right after commits in this process; a slow timer picks up what a crashed process left behind.
 * Delayed jobs wait here until they are almost due, so that `cancel` can withdraw redundant ones
 * (and a queue's own limit on delays, e.g. Cloudflare's 12 hours, never matters).
 */
export class PostgresJobOutbox implements JobOutbox {
  readonly #options: PostgresJobOutboxOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #cancelled: string[] = [];
  #cancelling: Promise<void> | undefined;

  constructor(options: PostgresJobOutboxOptions) {
    this.#options = options;
  }

  /** Starts the timer and relays what is already there. */
  start(): void {
    this.#stopped = false;
    this.#timer = setInterval(() => this.kick(), this.#options.pollMs ?? 1_000);
    this.#timer.unref?.();
    this.kick();
  }

  /** Stops the timer and waits for a relay (and a cancel) in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    await this.#running;
    await this.#cancelling;
  }

  async enqueue(tx: Transaction, jobs: readonly OutboxJob[]): Promise<void> {
    await insertOutboxJobs(tx, jobs);
  }

  cancel(keys: readonly string[]): void {
    if (keys.length === 0) return;
    this.#cancelled.push(...keys);
    // One delete for the keys of a moment: cancels come in bursts, one per started run.
    this.#cancelling ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(async () => {
      const batch = this.#cancelled;
      this.#cancelled = [];
      this.#cancelling = undefined;
      try {
        await sql`delete from job_outbox where cancel_key = any(${batch}::text[])`.execute(this.#options.db);
      } catch (error) {
        // Harmless: the jobs reach the queue when due and find nothing to do.
        this.#options.logger.warn({ err: error, count: batch.length }, 'could not withdraw redundant outbox jobs');
      }
    });
  }

  kick(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#again && !this.#stopped) {
        this.#again = false;
        this.kick();
      }
    });
  }

  /** Relays until the outbox is empty (or a pass fails: the timer tries again). */
  async #drain(): Promise<void> {
    try {
      while (!this.#stopped && (await this.relayOnce()) === (this.#options.batchSize ?? 500));
    } catch (error) {
      this.#options.logger.warn({ err: error }, 'could not relay jobs from the outbox; retrying');
    }
  }

  /** Moves one batch; returns how many jobs it moved. */
  async relayOnce(): Promise<number> {
    const limit = this.#options.batchSize ?? 500;
    return this.#options.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: string; topic: string; data: object; start_after: Date | null }>`
        delete from job_outbox where id in (
          select id from job_outbox where start_after is null
          or start_after <= now() + ${`${this.#options.lookaheadMs ?? 3_000} milliseconds`}::interval
          order by id limit ${limit} for update skip locked)
        returning id, topic, data, start_after`.execute(trx);
      const byTopic = new Map<string, Array<{ data: object; startAfter?: Date }>>();
      for (const row of rows.sort((a, b) => Number(a.id) - Number(b.id))) {
        const list = byTopic.get(row.topic) ?? [];
        list.push({ data: row.data, ...(row.start_after === null ? {} : { startAfter: row.start_after }) });
        byTopic.set(row.topic, list);
      }
      for (const [topic, jobs] of byTopic)
        await this.#options.queue.sendBatch(topic, jobs, { tx: trx as unknown as Transaction });
      return rows.length;
    });
  }
}
