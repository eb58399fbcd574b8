import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, JobQueue } from '../../../src/ports/job-queue.ts';
import type { Transaction, UnitOfWork } from '../../../src/ports/unit-of-work.ts';

/** What an adapter under test provides to the shared job-queue suite. */
export interface JobQueueHarness {
  readonly queue: JobQueue;
  readonly unitOfWork: UnitOfWork;
  close(): Promise<void>;
}

/** Collects jobs as a worker receives them and lets a test wait for a number of them. */
function collector<T>() {
  const jobs: Job<T>[] = [];
  const waiters: Array<() => void> = [];
  return {
    jobs,
    handler: async (job: Job<T>) => {
      jobs.push(job);
      waiters.splice(0).forEach((wake) => wake());
    },
    async waitFor(count: number, timeoutMs = 10_000): Promise<Job<T>[]> {
      const deadline = Date.now() + timeoutMs;
      while (jobs.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} jobs, got ${jobs.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
      return jobs;
    },
  };
}

/** Runs `work` in a transaction that then rolls back. */
async function rolledBack(h: JobQueueHarness, work: (tx: Transaction) => Promise<unknown>): Promise<void> {
  await expect(
    h.unitOfWork.run(async (tx) => {
      await work(tx);
      throw new Error('roll back');
    }),
  ).rejects.toThrow('roll back');
}

/**
 * The behaviour every JobQueue adapter must show (pg-boss on Node, Queues + outbox on Cloudflare).
 * Topic names are unique per test so tests do not see each other's jobs.
 */
export function describeJobQueue(adapter: string, open: () => Promise<JobQueueHarness>): void {
  describe(`JobQueue contract: ${adapter}`, () => {
    let h: JobQueueHarness;
    let n = 0;
    const topic = () => `contract-${adapter.replace(/[^a-z0-9]/gi, '')}-${++n}`;

    beforeAll(async () => {
      h = await open();
    });
    afterAll(async () => {
      await h.close();
    });

    it('is running after start', () => {
      expect(h.queue.isRunning()).toBe(true);
    });

    it('delivers a sent job with its data to the worker', async () => {
      const t = topic();
      await h.queue.declareTopic(t);
      const c = collector<{ greeting: string }>();
      await h.queue.work(t, c.handler);
      const id = await h.queue.send(t, { greeting: 'hello' });
      const [job] = await c.waitFor(1);
      expect(job).toEqual({ id, topic: t, data: { greeting: 'hello' } });
    });

    it('declaring a topic twice is harmless', async () => {
      const t = topic();
      await h.queue.declareTopic(t);
      await h.queue.declareTopic(t);
    });

    it('delivers a job sent in a transaction only once that transaction commits', async () => {
      const t = topic();
      await h.queue.declareTopic(t);
      const c = collector<{ n: number }>();
      await h.queue.work(t, c.handler);
      await rolledBack(h, (tx) => h.queue.send(t, { n: 1 }, { tx }));
      await h.unitOfWork.run(async (tx) => {
        await h.queue.send(t, { n: 2 }, { tx });
      });
      await c.waitFor(1);
      // Give a rolled-back job every chance to show up.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(c.jobs.map((j) => j.data.n)).toEqual([2]);
    });

    it('delivers a batch whole, and nothing of a batch whose transaction rolls back', async () => {
      const t = topic();
      await h.queue.declareTopic(t);
      const c = collector<{ n: number }>();
      await h.queue.work(t, c.handler);
      await rolledBack(h, (tx) => h.queue.sendBatch(t, [{ data: { n: 1 } }, { data: { n: 2 } }], { tx }));
      await h.unitOfWork.run((tx) =>
        h.queue.sendBatch(
          t,
          [{ data: { n: 3 } }, { data: { n: 4 } }, { data: { n: 5 }, startAfter: new Date(Date.now() + 1_000) }],
          { tx },
        ),
      );
      await c.waitFor(3, 40_000);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(c.jobs.map((j) => j.data.n).sort()).toEqual([3, 4, 5]);
    }, 45_000);

    it('does not start a delayed job before its time', async () => {
      const t = topic();
      await h.queue.declareTopic(t);
      const c = collector<{ at: number }>();
      await h.queue.work(t, c.handler);
      const due = Date.now() + 2000;
      await h.queue.send(t, { at: due }, { startAfter: new Date(due) });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(c.jobs).toHaveLength(0);
      await c.waitFor(1, 40_000);
      expect(Date.now()).toBeGreaterThanOrEqual(due);
    }, 45_000);

    it('retries a job whose handler fails', async () => {
      const t = topic();
      await h.queue.declareTopic(t, { retryLimit: 2, retryDelaySeconds: 1 });
      let attempts = 0;
      const c = collector<{ x: number }>();
      await h.queue.work<{ x: number }>(t, async (job) => {
        attempts++;
        if (attempts === 1) throw new Error('transient');
        await c.handler(job);
      });
      await h.queue.send(t, { x: 1 });
      await c.waitFor(1, 20_000);
      expect(attempts).toBe(2);
    }, 25_000);
  });
}
