import { PgBoss, fromKysely, type KyselyTransactionLike } from 'pg-boss';
import type { Job, JobQueue, SendOptions, TopicOptions, WorkOptions } from '../../ports/job-queue.ts';
import type { Logger } from '../../ports/logger.ts';
import type { ReadinessProbe } from '../../ports/readiness.ts';
import { UnavailableError } from '../../ports/unavailable.ts';
import { isConnectionError } from '../postgres/database.ts';

/** Options of the pg-boss adapter. */
export interface PgBossJobQueueOptions {
  readonly connectionString: string;
  readonly logger: Logger;
  /** Postgres schema pg-boss owns (default `pgboss`). */
  readonly schema?: string;
  /** Connections in pg-boss's own pool (default 4). */
  readonly poolMax?: number;
  /**
   * Seconds between polls of a topic (default 1). New jobs wake workers at once through
   * LISTEN/NOTIFY; polling is what starts delayed jobs and retries on time.
   */
  readonly pollingIntervalSeconds?: number;
}

/**
 * pg-boss's own pool fails with pg's errors: an unreachable database becomes `UnavailableError` (a 503 at the edge).
 */
function unreachable(error: unknown): never {
  throw isConnectionError(error) && !(error instanceof UnavailableError)
    ? new UnavailableError('The database', { cause: error })
    : error;
}

/** The same job-queue failure is logged at most once per this interval (with how often it repeated). */
const errorLogIntervalMs = 10_000;

/**
 * The job queue on Node: pg-boss in the same Postgres as our tables, so a job sent with a
 * transaction commits or rolls back with it. Topics are notify-enabled queues: a worker wakes on
 * LISTEN/NOTIFY the moment a job commits instead of waiting for its next poll.
 */
export class PgBossJobQueue implements JobQueue {
  readonly #boss: PgBoss;
  readonly #log: Logger;
  readonly #pollingIntervalSeconds: number;
  #running = false;

  constructor(options: PgBossJobQueueOptions) {
    this.#log = options.logger;
    this.#pollingIntervalSeconds = options.pollingIntervalSeconds ?? 1;
    this.#boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema ?? 'pgboss',
      max: options.poolMax ?? 4,
      application_name: 'baton-jobs',
      useListenNotify: true,
      // Expired jobs (their worker died: a crash, SIGKILL) are failed and retried by the monitor
      // pass; every 10 s rather than pg-boss's 60 s, so work in flight at a crash resumes soon.
      monitorIntervalSeconds: 10,
      superviseIntervalSeconds: 10,
    });
    // pg-boss reports a failed poll, heartbeat or completion here and keeps going: its workers poll
    // again and its LISTEN connection reconnects by itself, so a database outage heals without us.
    // During one, every worker fails every poll: say so once per kind of failure and interval.
    this.#boss.on('error', (error: Error) => this.#reportError(error));
  }

  readonly #recentErrors = new Map<string, { at: number; suppressed: number }>();

  #reportError(error: Error): void {
    // pg-boss appends the queue and worker to the message: the same failure on every worker is one kind.
    const kind = `${(error as { code?: unknown }).code ?? ''}:${error.message.replace(/ \(Queue: .*\)$/, '')}`;
    const now = Date.now();
    const seen = this.#recentErrors.get(kind);
    if (seen !== undefined && now - seen.at < errorLogIntervalMs) {
      seen.suppressed++;
      return;
    }
    if (this.#recentErrors.size > 100) this.#recentErrors.clear();
    this.#recentErrors.set(kind, { at: now, suppressed: 0 });
    this.#log.error(
      { err: error, ...(seen === undefined || seen.suppressed === 0 ? {} : { repeated: seen.suppressed }) },
      'job queue error (pg-boss retries by itself)',
    );
  }

  async start(): Promise<void> {
    await this.#boss.start();
    this.#running = true;
  }

  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    await this.#boss.stop({ graceful: true, timeout: options.timeoutMs ?? 8000, close: true });
  }

  isRunning(): boolean {
    return this.#running;
  }

  async declareTopic(topic: string, options: TopicOptions = {}): Promise<void> {
    // Workers heartbeat the jobs they hold; a job whose heartbeat stopped (its instance was killed,
    // others run on) is failed by the next monitor pass and retried elsewhere, within about 20 s
    // however long it may run (a dispatch 300 s; a schedule's timer held by a dead instance stalled
    // the schedule for the whole expiry). 10 s is the shortest pg-boss takes.
    const settings = {
      retryLimit: options.retryLimit ?? 2,
      retryDelay: options.retryDelaySeconds ?? 1,
      expireInSeconds: options.expireInSeconds ?? 60,
      heartbeatSeconds: 10,
    };
    // A queue made by an earlier version keeps its name but takes today's settings.
    if ((await this.#boss.getQueue(topic)) !== null) return this.#boss.updateQueue(topic, settings);
    try {
      await this.#boss.createQueue(topic, { notify: true, ...settings });
    } catch (error) {
      // Another instance declared it at the same moment.
      if ((await this.#boss.getQueue(topic)) === null) throw error;
    }
  }

  async send<T extends object>(topic: string, data: T, options: SendOptions = {}): Promise<string> {
    const id = await this.#boss
      .send(topic, data, {
        ...(options.tx === undefined ? {} : { db: fromKysely(options.tx as unknown as KyselyTransactionLike) }),
        ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }),
        ...(options.retryLimit === undefined ? {} : { retryLimit: options.retryLimit }),
      })
      .catch(unreachable);
    if (id === null) throw new Error(`The job queue refused a job for topic ${topic}`);
    return id;
  }

  async sendBatch(
    topic: string,
    jobs: ReadonlyArray<{ readonly data: object; readonly startAfter?: Date }>,
    options: Pick<SendOptions, 'tx'> = {},
  ): Promise<void> {
    if (jobs.length === 0) return;
    // One insert for the batch: far cheaper per job than one send each.
    await this.#boss
      .insert(
        topic,
        jobs.map((job) => ({
          data: job.data,
          ...(job.startAfter === undefined ? {} : { startAfter: job.startAfter }),
        })),
        options.tx === undefined ? {} : { db: fromKysely(options.tx as unknown as KyselyTransactionLike) },
      )
      .catch(unreachable);
  }

  async work<T>(topic: string, handler: (job: Job<T>) => Promise<void>, options: WorkOptions = {}): Promise<void> {
    const concurrency = Math.max(1, options.concurrency ?? 1);
    // One worker fetches batches of up to twice the concurrency and runs at most `concurrency` jobs
    // at once; while batches come back full it fetches again at once (a backlog drains at the speed
    // of the handlers, not one batch per poll). Each job completes or fails on its own.
    await this.#boss.work<T>(
      topic,
      {
        batchSize: concurrency * 2,
        burstWhenBatchFull: true,
        perJobResults: true,
        pollingIntervalSeconds: this.#pollingIntervalSeconds,
        notifyPollingIntervalSeconds: this.#pollingIntervalSeconds,
      },
      async (jobs) => {
        const results: Array<{ id: string; status: 'completed' | 'failed'; output?: object }> = [];
        let next = 0;
        const lane = async () => {
          while (next < jobs.length) {
            const job = jobs[next++];
            if (job === undefined) return;
            try {
              await handler({ id: job.id, topic: job.name, data: job.data });
              results.push({ id: job.id, status: 'completed' });
            } catch (error) {
              results.push({
                id: job.id,
                status: 'failed',
                output: { message: error instanceof Error ? error.message : String(error) },
              });
            }
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, lane));
        return results;
      },
    );
  }

  /** Readiness: the queue is started and its schema answers. */
  probe(): ReadinessProbe {
    return {
      name: 'queue',
      check: async () => {
        if (!this.#running) return { ok: false, reason: 'the job queue is not running' };
        if (!(await this.#boss.isInstalled())) return { ok: false, reason: 'the job queue schema is missing' };
        return { ok: true };
      },
    };
  }
}
