import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { startWorker, type WorkerdWorker } from '../support/workerd.ts';

// The Queues adapter runs inside workerd (bundled without nodejs_compat, so a node:* import fails
// the build): the Worker sends through its producer binding and its queue() entry runs the batches
// Miniflare's broker delivers. The port's whole contract runs in Node in
// test/integration/queues-job-queue.test.ts; this shows the adapter works in the runtime itself.
let worker: WorkerdWorker;
beforeAll(async () => {
  worker = await startWorker({
    entry: 'test/workerd/fixtures/queues-worker.ts',
    compatibilityDate: '2025-09-01',
    queues: {
      queueProducers: { JOBS: 'jobs' },
      queueConsumers: { jobs: { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 5 } },
    },
  });
});
afterAll(async () => worker?.dispose());

async function send(data: object, startAfter?: Date): Promise<string> {
  const res = await worker.fetch('/send', {
    method: 'POST',
    body: JSON.stringify({ data, ...(startAfter === undefined ? {} : { startAfter: startAfter.toISOString() }) }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

async function ran(): Promise<Array<{ id: string; data: { n: number }; at: number }>> {
  return (await worker.fetch('/ran')).json() as Promise<Array<{ id: string; data: { n: number }; at: number }>>;
}

describe('Cloudflare Queues adapter in workerd', () => {
  it('runs a sent job, with the id send returned', async () => {
    const id = await send({ n: 1 });
    const job = await eventually(async () => (await ran()).find((j) => j.id === id), 10_000, 'the job');
    expect(job.data).toEqual({ n: 1 });
  });

  it('retries a job whose handler failed, and runs it once', async () => {
    const id = await send({ n: 2, failOnce: true });
    await eventually(async () => (await ran()).some((j) => j.id === id), 10_000, 'the retried job');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await ran()).filter((j) => j.id === id)).toHaveLength(1);
  });

  it('holds a job due past the (lowered) Queues delay limit until it is due', async () => {
    const due = Date.now() + 3_000;
    const id = await send({ n: 3 }, new Date(due));
    const job = await eventually(async () => (await ran()).find((j) => j.id === id), 15_000, 'the delayed job');
    expect(job.at).toBeGreaterThanOrEqual(due);
  });
});
