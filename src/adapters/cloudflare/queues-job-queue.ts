import type { Job, JobQueue, SendOptions, TopicOptions, WorkOptions } from '../../ports/job-queue.ts';
import type { Logger } from '../../ports/logger.ts';
import { insertOutboxJobs } from '../postgres/job-outbox.ts';
import {
  parseJobMessage,
  sendBatches,
  type JobMessage,
  type MessageBatchLike,
  type MessageLike,
  type MessageSendRequestLike,
  type QueueLike,
} from './queue-messages.ts';

export type { MessageBatchLike, MessageLike, QueueLike } from './queue-messages.ts';

/** Options of the Queues adapter. */
export interface CloudflareQueuesJobQueueOptions {
  /** The producer binding of the one queue that carries every topic. */
  readonly queue: QueueLike;
  readonly logger: Logger;
  /**
   * The longest delay Queues accepts, in seconds (default 86 400: `delaySeconds` is limited to 24
   * hours). A job due later is sent with this delay and re-sent by the consumer until due.
   */
  readonly maxDelaySeconds?: number;
  /** Deliveries of a message whose topic has no worker here before it is dropped (default 5). */
  readonly unknownTopicAttempts?: number;
  /** Seconds between those deliveries (default 30). */
  readonly unknownTopicRetryDelaySeconds?: number;
  /**
   * Deliveries of one queue message after which a failed job that still has retries is sent again
   * as a new message (carrying its attempts so far) instead of retried (default 50). Keep it under
   * the consumer's `max_retries` (at most 100): a topic may ask for more retries than Queues allows
   * (`orchestrator.dispatch` asks for 720).
   */
  readonly resendAfterAttempts?: number;
}

/** The key of the envelope `send({ tx })` writes into the outbox, so that the job keeps its id. */
const OUTBOX_ENVELOPE = '$job';

interface OutboxEnvelope {
  readonly [OUTBOX_ENVELOPE]: { readonly id: string; readonly data: object; readonly retryLimit?: number };
}

/** A job message that was sent again after a run of failures: `attemptsBefore` failed deliveries came first. */
type ResentJob = JobMessage & { readonly attemptsBefore?: number };

interface Worker {
  readonly handler: (job: Job<unknown>) => Promise<void>;
  readonly lanes: Lanes;
}

/**
 * The job queue on Cloudflare: one Queue carries every topic (a message is `{ id, topic, data,
 * notBefore? }`); the Worker's `queue()` entry hands each batch to `handleBatch`.
 *
 * Queues cannot join a Postgres transaction, so `send`/`sendBatch` with a `tx` write the job into
 * the transactional outbox (`job_outbox`); the relay (`PostgresJobOutbox` given `outboxRelay()`)
 * sends it after the commit. Delivery is at least once: a relay whose commit fails after sending
 * sends again, and Queues redelivers a batch whose consumer died.
 *
 * Retries: a failed handler's message is retried with the topic's delay while its attempts (the
 * message's deliveries plus those of the messages it was re-sent from) are at most the retryLimit,
 * then acked and logged. Queues allows at most 100 retries of one message, fewer than a topic may
 * ask for, so after `resendAfterAttempts` deliveries a failed job is sent again as a new message
 * (same id, its attempts carried) and the old one acked. Queues' own `max_retries` (wrangler) must
 * exceed `resendAfterAttempts` and `unknownTopicAttempts`; then only messages whose consumer
 * invocation itself failed (crashed, ran out of wall time) exhaust Queues' retries and reach the
 * dead-letter queue, while jobs whose handler kept failing end here, logged.
 */
export class CloudflareQueuesJobQueue implements JobQueue {
  readonly #queue: QueueLike;
  readonly #log: Logger;
  readonly #maxDelaySeconds: number;
  readonly #unknownTopicAttempts: number;
  readonly #unknownTopicRetryDelaySeconds: number;
  readonly #resendAfterAttempts: number;
  readonly #topics = new Map<string, Required<TopicOptions>>();
  readonly #workers = new Map<string, Worker>();
  readonly #running = new Set<Promise<unknown>>();
  #started = false;

  constructor(options: CloudflareQueuesJobQueueOptions) {
    this.#queue = options.queue;
    this.#log = options.logger;
    this.#maxDelaySeconds = options.maxDelaySeconds ?? 86_400;
    this.#unknownTopicAttempts = options.unknownTopicAttempts ?? 5;
    this.#unknownTopicRetryDelaySeconds = options.unknownTopicRetryDelaySeconds ?? 30;
    this.#resendAfterAttempts = Math.max(1, options.resendAfterAttempts ?? 50);
  }

  /** Nothing to connect: the binding is ready. Marks the queue as taking jobs. */
  async start(): Promise<void> {
    this.#started = true;
  }

  /** Stops taking jobs (later deliveries are retried) and waits up to `timeoutMs` for running handlers. */
  async stop(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled([...this.#running]),
      new Promise((resolve) => (timer = setTimeout(resolve, options.timeoutMs ?? 8_000))),
    ]);
    clearTimeout(timer);
  }

  isRunning(): boolean {
    return this.#started;
  }

  /**
   * Remembers the topic's settings (the latest declaration wins). `expireInSeconds` is how long
   * `handleBatch` waits for one handler: then the attempt counts as failed (the message is retried)
   * and the invocation stops waiting for it. Keep it under Queues' consumer wall time (15 minutes):
   * past that Queues ends the invocation and redelivers every message it had not acked.
   */
  async declareTopic(topic: string, options: TopicOptions = {}): Promise<void> {
    this.#topics.set(topic, {
      retryLimit: options.retryLimit ?? 2,
      retryDelaySeconds: options.retryDelaySeconds ?? 1,
      expireInSeconds: options.expireInSeconds ?? 60,
    });
  }

  async send<T extends object>(topic: string, data: T, options: SendOptions = {}): Promise<string> {
    const id = crypto.randomUUID();
    const retryLimit = options.retryLimit === undefined ? {} : { retryLimit: options.retryLimit };
    if (options.tx !== undefined) {
      const envelope: OutboxEnvelope = { [OUTBOX_ENVELOPE]: { id, data, ...retryLimit } };
      await insertOutboxJobs(options.tx, [
        { topic, data: envelope, ...(options.startAfter === undefined ? {} : { startAfter: options.startAfter }) },
      ]);
      return id;
    }
    const [message] = this.#requests([{ id, topic, data, ...retryLimit }], [options.startAfter]);
    if (message !== undefined)
      await this.#queue.send(message.body, {
        contentType: 'json',
        ...(message.delaySeconds === undefined ? {} : { delaySeconds: message.delaySeconds }),
      });
    return id;
  }

  async sendBatch(
    topic: string,
    jobs: ReadonlyArray<{ readonly data: object; readonly startAfter?: Date }>,
    options: Pick<SendOptions, 'tx'> = {},
  ): Promise<void> {
    if (jobs.length === 0) return;
    if (options.tx !== undefined) {
      await insertOutboxJobs(
        options.tx,
        jobs.map((job) => ({
          topic,
          data: job.data,
          ...(job.startAfter === undefined ? {} : { startAfter: job.startAfter }),
        })),
      );
      return;
    }
    await this.#sendNow(topic, jobs);
  }

  /**
   * What the outbox relay sends to: straight to the queue, whatever transaction it passes (the
   * relay's own). A commit that fails after the send leaves the rows to be sent again: at least once.
   */
  outboxRelay(): Pick<JobQueue, 'sendBatch'> {
    return { sendBatch: (topic, jobs) => this.#sendNow(topic, jobs) };
  }

  /**
   * Registers the topic's handler (one per topic; a second call replaces it). `concurrency` bounds
   * the topic's handlers running at once in this isolate, across the batches it is given.
   */
  async work<T>(topic: string, handler: (job: Job<T>) => Promise<void>, options: WorkOptions = {}): Promise<void> {
    this.#workers.set(topic, {
      handler: handler as (job: Job<unknown>) => Promise<void>,
      lanes: new Lanes(Math.max(1, options.concurrency ?? 1)),
    });
  }

  /**
   * Runs a batch (what the Worker's `queue()` entry calls): each message is acked when its handler
   * succeeds and retried or dropped (logged) otherwise. Never throws: a throw would make Queues
   * retry the whole batch, handlers that succeeded included.
   */
  async handleBatch(batch: MessageBatchLike): Promise<void> {
    await Promise.all(batch.messages.map((message) => this.#handle(message)));
  }

  async #handle(message: MessageLike): Promise<void> {
    const job: ResentJob | undefined = parseJobMessage(message.body);
    if (job === undefined) {
      this.#log.error({ messageId: message.id }, 'dropped a queue message that is not a job');
      return message.ack();
    }
    const attempts = (typeof job.attemptsBefore === 'number' ? job.attemptsBefore : 0) + message.attempts;
    const log = { jobId: job.id, topic: job.topic, attempts };
    const options = this.#topics.get(job.topic) ?? { retryLimit: 2, retryDelaySeconds: 1, expireInSeconds: 60 };
    if (!this.#started) return message.retry({ delaySeconds: this.#delay(options.retryDelaySeconds) });
    if (job.notBefore !== undefined && Date.parse(job.notBefore) > Date.now()) return this.#sendAgain(message, job);
    const worker = this.#workers.get(job.topic);
    if (worker === undefined) {
      // During a deploy old and new code run side by side: another isolate may know the topic.
      if (message.attempts < this.#unknownTopicAttempts) {
        this.#log.warn(log, 'no worker for this job topic here; retrying');
        return message.retry({ delaySeconds: this.#delay(this.#unknownTopicRetryDelaySeconds) });
      }
      this.#log.error(log, 'dropped a job of a topic no worker handles');
      return message.ack();
    }
    const run = this.#run(worker, { id: job.id, topic: job.topic, data: job.data }, options.expireInSeconds);
    this.#running.add(run);
    try {
      await run;
      message.ack();
    } catch (error) {
      if (attempts <= (job.retryLimit ?? options.retryLimit)) {
        this.#log.warn({ ...log, err: error }, 'job failed; retrying');
        if (message.attempts < this.#resendAfterAttempts)
          message.retry({ delaySeconds: this.#delay(options.retryDelaySeconds) });
        else await this.#resend(message, job, attempts, options.retryDelaySeconds);
      } else {
        this.#log.error({ ...log, err: error }, 'job failed and has no retries left; dropped');
        message.ack();
      }
    } finally {
      this.#running.delete(run);
    }
  }

  /** Runs a handler in one of the topic's lanes; fails if it takes longer than `expireInSeconds`. */
  async #run(worker: Worker, job: Job<unknown>, expireInSeconds: number): Promise<void> {
    await worker.lanes.acquire();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        worker.handler(job),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(
              () => reject(new Error(`the job ran longer than ${expireInSeconds} s`)),
              expireInSeconds * 1000,
            )),
        ),
      ]);
    } finally {
      clearTimeout(timer);
      // An expired handler may still be running; its lane is given up all the same, as pg-boss
      // hands an expired job to another worker.
      worker.lanes.release();
    }
  }

  /**
   * A failed job near Queues' retry limit: sent again as a new message that carries its attempts,
   * then the old one acked (if the send fails, the old message is retried while Queues allows).
   */
  async #resend(message: MessageLike, job: ResentJob, attempts: number, delaySeconds: number): Promise<void> {
    const body: ResentJob = {
      id: job.id,
      topic: job.topic,
      data: job.data,
      ...(job.retryLimit === undefined ? {} : { retryLimit: job.retryLimit }),
      attemptsBefore: attempts,
    };
    try {
      await this.#queue.send(body, { contentType: 'json', delaySeconds: this.#delay(delaySeconds) });
      message.ack();
    } catch (error) {
      this.#log.warn({ jobId: job.id, topic: job.topic, err: error }, 'could not send a failed job again; retrying it');
      message.retry({ delaySeconds: this.#delay(delaySeconds) });
    }
  }

  /** A job due later than Queues' longest delay came back early: send it on for the rest. */
  async #sendAgain(message: MessageLike, job: JobMessage): Promise<void> {
    const [request] = this.#requests([job], [new Date(job.notBefore ?? 0)]);
    try {
      if (request !== undefined)
        await this.#queue.send(request.body, {
          contentType: 'json',
          ...(request.delaySeconds === undefined ? {} : { delaySeconds: request.delaySeconds }),
        });
      message.ack();
    } catch (error) {
      this.#log.warn({ jobId: job.id, topic: job.topic, err: error }, 'could not send a delayed job on; retrying');
      message.retry();
    }
  }

  async #sendNow(
    topic: string,
    jobs: ReadonlyArray<{ readonly data: object; readonly startAfter?: Date }>,
  ): Promise<void> {
    const messages = jobs.map((job) => {
      const envelope = (job.data as Partial<OutboxEnvelope>)[OUTBOX_ENVELOPE];
      if (envelope === undefined) return { id: crypto.randomUUID(), topic, data: job.data };
      return {
        id: envelope.id,
        topic,
        data: envelope.data,
        ...(envelope.retryLimit === undefined ? {} : { retryLimit: envelope.retryLimit }),
      };
    });
    for (const batch of sendBatches(
      this.#requests(
        messages,
        jobs.map((job) => job.startAfter),
      ),
    ))
      await this.#queue.sendBatch(batch);
  }

  /** The queue messages of jobs: a start time becomes a delay (at most Queues' limit) and `notBefore`. */
  #requests(jobs: readonly JobMessage[], startAfter: ReadonlyArray<Date | undefined>): MessageSendRequestLike[] {
    const now = Date.now();
    return jobs.map((job, i) => {
      const at = startAfter[i]?.getTime();
      if (at === undefined || at <= now)
        return {
          body: {
            id: job.id,
            topic: job.topic,
            data: job.data,
            ...(job.retryLimit === undefined ? {} : { retryLimit: job.retryLimit }),
          },
          contentType: 'json',
        };
      // notBefore even when the delay suffices: a message that comes back early is sent on.
      return {
        body: { ...job, notBefore: new Date(at).toISOString() },
        contentType: 'json',
        delaySeconds: this.#delay(Math.ceil((at - now) / 1000)),
      };
    });
  }

  #delay(seconds: number): number {
    return Math.max(0, Math.min(this.#maxDelaySeconds, Math.ceil(seconds)));
  }
}

/** A counting semaphore: at most `size` holders at once, the rest wait in order. */
class Lanes {
  #free: number;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next === undefined) this.#free++;
    else next();
  }
}
