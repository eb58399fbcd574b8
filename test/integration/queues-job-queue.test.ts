import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareQueuesJobQueue } from '../../src/adapters/cloudflare/queues-job-queue.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { PostgresJobOutbox } from '../../src/adapters/postgres/job-outbox.ts';
import { createUnitOfWork } from '../../src/adapters/postgres/unit-of-work.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startQueues, type Delivery, type QueuesStandIn } from '../support/queues-harness.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { describeJobQueue } from '../support/suites/job-queue-suite.ts';

// The Cloudflare adapter runs here in Node, wired to real local Queues: Miniflare's queue broker in
// workerd, whose consumer Worker forwards each batch to this process (test/support/queues-harness.ts).
// Jobs sent with a transaction go through the outbox in a real Postgres and its relay.

let database: TestDatabase | undefined;
afterAll(async () => database?.drop());

async function sharedDatabase(): Promise<TestDatabase> {
  database ??= await createTestDatabase();
  return database;
}

describeJobQueue('cloudflare-queues', async () => {
  const url = (await sharedDatabase()).url;
  const db = createDatabase({ url, poolMax: 4, logger: silentLogger });
  // The stand-in is started first (the adapter needs its producer binding); until the adapter
  // exists a batch fails, so Queues delivers it again.
  const consumer: { adapter?: CloudflareQueuesJobQueue } = {};
  const queues = await startQueues({
    consume: async (batch) => {
      if (consumer.adapter === undefined) throw new Error('the adapter is not ready');
      await consumer.adapter.handleBatch(batch);
    },
  });
  const queue = new CloudflareQueuesJobQueue({ queue: queues.queue, logger: silentLogger });
  consumer.adapter = queue;
  await queue.start();
  const relay = new PostgresJobOutbox({ db, queue: queue.outboxRelay(), logger: silentLogger, pollMs: 100 });
  relay.start();
  return {
    queue,
    unitOfWork: createUnitOfWork(db),
    async close() {
      await relay.stop();
      await queue.stop({ timeoutMs: 2000 });
      await queues.close();
      await db.destroy();
    },
  };
});

/** A logger that keeps its lines, as an operator reads them. */
function recordingLogger(): Logger & { lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> } {
  const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    void lines.push({ level, msg: msg ?? '', obj: obj as Record<string, unknown> });
  const logger = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => logger,
  };
  return logger;
}

describe('Cloudflare Queues adapter', () => {
  let db: Database;
  let queues: QueuesStandIn;
  let queue: CloudflareQueuesJobQueue;
  const log = recordingLogger();
  const deliveriesOf = (topic: string): Delivery[] =>
    queues.deliveries.filter((d) => d.queue === 'jobs' && (d.body as { topic?: string }).topic === topic);
  const outboxSize = async () =>
    Number(
      (
        await db
          .selectFrom('job_outbox')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    db = createDatabase({ url: (await sharedDatabase()).url, poolMax: 4, logger: silentLogger });
    queues = await startQueues({ consume: (batch) => queue.handleBatch(batch), maxRetries: 10, maxBatchTimeout: 0 });
    // A Queues limit on delays of one second, so that a job due in a few seconds is "too far".
    queue = new CloudflareQueuesJobQueue({
      queue: queues.queue,
      logger: log,
      maxDelaySeconds: 1,
      unknownTopicAttempts: 3,
      unknownTopicRetryDelaySeconds: 0,
    });
    await queue.start();
  });
  afterAll(async () => {
    await queue?.stop({ timeoutMs: 1000 });
    await queues?.close();
    await db?.destroy();
  });

  it(
    'writes a job sent with a transaction into the outbox: nothing ' +
      'reaches the queue until the relay runs, a rolled-back one never',
    async () => {
      await queue.declareTopic('outboxed');
      const seen: Array<{ id: string; n: number }> = [];
      await queue.work<{ n: number }>('outboxed', async (job) => void seen.push({ id: job.id, n: job.data.n }));
      const unitOfWork = createUnitOfWork(db);
      await expect(
        unitOfWork.run(async (tx) => {
          await queue.send('outboxed', { n: 1 }, { tx });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      const id = await unitOfWork.run((tx) => queue.send('outboxed', { n: 2 }, { tx }));
      expect(await outboxSize()).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(deliveriesOf('outboxed')).toEqual([]);

      const relay = new PostgresJobOutbox({ db, queue: queue.outboxRelay(), logger: silentLogger });
      expect(await relay.relayOnce()).toBe(1);
      await eventually(() => seen.length > 0, 10_000, 'the relayed job');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(seen).toEqual([{ id, n: 2 }]);
      expect(await outboxSize()).toBe(0);
    },
  );

  it(
    'sends a job due later than the Queues limit with the ' + 'longest delay and again until due, then runs it once',
    async () => {
      await queue.declareTopic('far-future');
      const runs: Array<{ id: string; at: number }> = [];
      await queue.work('far-future', async (job) => void runs.push({ id: job.id, at: Date.now() }));
      // Far enough that it comes back at least three times even when a loaded machine delivers late.
      const due = Date.now() + 6_000;
      const id = await queue.send('far-future', { n: 1 }, { startAfter: new Date(due) });
      await eventually(() => runs.length > 0, 20_000, 'the delayed job');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(runs).toHaveLength(1);
      expect(runs[0]?.id).toBe(id);
      expect(runs[0]?.at).toBeGreaterThanOrEqual(due);
      // It came back at least three times (one-second delays): early ones were sent on, not run.
      const deliveries = deliveriesOf('far-future');
      expect(deliveries.length).toBeGreaterThanOrEqual(3);
      expect(deliveries.every((d) => d.outcome === 'ack' && (d.body as { id: string }).id === id)).toBe(true);
    },
  );

  it(
    'retries a failing job with the topic delay while attempts remain, ' +
      'then drops it with a log line (not to the dead-letter queue)',
    async () => {
      await queue.declareTopic('always-fails', { retryLimit: 2, retryDelaySeconds: 1 });
      let attempts = 0;
      await queue.work('always-fails', async () => {
        attempts++;
        throw new Error('broken');
      });
      const id = await queue.send('always-fails', { n: 1 });
      await eventually(
        () => log.lines.some((l) => l.level === 'error' && l.obj.jobId === id),
        15_000,
        'the job to be given up',
      );
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(attempts).toBe(3);
      expect(deliveriesOf('always-fails').map((d) => [d.attempts, d.outcome, d.delaySeconds])).toEqual([
        [1, 'retry', 1],
        [2, 'retry', 1],
        [3, 'ack', undefined],
      ]);
      expect(queues.deliveries.filter((d) => d.queue === 'jobs-dlq')).toEqual([]);
    },
  );

  it(
    'retries a job of a topic nobody works on here a few ' +
      'times (another version may), then drops it with a log line',
    async () => {
      const id = await queue.send('nobody-works-here', { n: 1 });
      await eventually(
        () => log.lines.some((l) => l.level === 'error' && l.obj.jobId === id),
        15_000,
        'the job to be dropped',
      );
      expect(deliveriesOf('nobody-works-here').map((d) => [d.attempts, d.outcome])).toEqual([
        [1, 'retry'],
        [2, 'retry'],
        [3, 'ack'],
      ]);
    },
  );

  it('runs at most `concurrency` jobs of a topic at once, the rest as lanes free up', async () => {
    await queue.declareTopic('two-lanes');
    let now = 0;
    let most = 0;
    const done: number[] = [];
    await queue.work<{ n: number }>(
      'two-lanes',
      async (job) => {
        most = Math.max(most, ++now);
        await new Promise((resolve) => setTimeout(resolve, 200));
        now--;
        done.push(job.data.n);
      },
      { concurrency: 2 },
    );
    await queue.sendBatch(
      'two-lanes',
      [1, 2, 3, 4, 5, 6].map((n) => ({ data: { n } })),
    );
    await eventually(() => done.length === 6, 15_000, 'six jobs');
    expect(most).toBe(2);
  });

  it('retries a job whose handler runs past expireInSeconds', async () => {
    await queue.declareTopic('too-slow', { retryLimit: 1, retryDelaySeconds: 0, expireInSeconds: 1 });
    const finished: number[] = [];
    let calls = 0;
    await queue.work<{ n: number }>('too-slow', async (job) => {
      // The first attempt hangs (as a stuck call would); the retry is quick.
      if (++calls === 1) await new Promise((resolve) => setTimeout(resolve, 5_000));
      finished.push(job.data.n);
    });
    await queue.send('too-slow', { n: 1 });
    await eventually(() => finished.length > 0, 20_000, 'the retried job');
    expect(deliveriesOf('too-slow').map((d) => [d.attempts, d.outcome])).toEqual([
      [1, 'retry'],
      [2, 'ack'],
    ]);
  });
});
