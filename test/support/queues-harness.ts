import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageBatchLike, MessageLike, QueueLike } from '../../src/adapters/cloudflare/queue-messages.ts';
import { startWorker, type WorkerdWorker } from './workerd.ts';

/** One delivery the consumer Worker forwarded to the test process, and what became of it. */
export interface Delivery {
  /** `jobs`, or `jobs-dlq` for what Queues gave up on. */
  readonly queue: string;
  readonly messageId: string;
  readonly body: unknown;
  readonly attempts: number;
  /** `none` when the consumer neither acked nor retried (or the batch failed). */
  readonly outcome: 'ack' | 'retry' | 'none';
  readonly delaySeconds?: number;
  /** When the test process received it (ms since the epoch). */
  readonly at: number;
}

/** Local Cloudflare Queues (Miniflare's broker in workerd) whose batches reach this process. */
export interface QueuesStandIn {
  /** The `jobs` queue's producer binding, reached from Node through Miniflare. */
  readonly queue: QueueLike;
  /** Every delivery so far, in the order the batches arrived. */
  readonly deliveries: readonly Delivery[];
  close(): Promise<void>;
}

/** How the local queue is set up. */
export interface QueuesStandInOptions {
  /** Runs each batch of `jobs` in this process (e.g. the adapter's `handleBatch`). A throw fails the batch. */
  readonly consume: (batch: MessageBatchLike) => Promise<void>;
  /** Queues' own `max_retries` of the consumer (default 10); past it a message goes to `jobs-dlq`. */
  readonly maxRetries?: number;
  /** Seconds the broker waits to fill a batch (default 1, as Miniflare; production's default is 5). */
  readonly maxBatchTimeout?: number;
}

/**
 * Starts a Worker in workerd with a producer binding `JOBS` and a consumer of queue `jobs` (dead
 * letters to `jobs-dlq`, consumed too) that forwards every batch over HTTP to a node:http endpoint
 * here. The batch is run by `consume` against message objects that record `ack`/`retry`; the
 * Worker applies those to the real messages, so delays, retries and attempts are workerd's.
 */
export async function startQueues(options: QueuesStandInOptions): Promise<QueuesStandIn> {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const at = Date.now();
      const batch = JSON.parse(text) as {
        queue: string;
        messages: Array<{ id: string; body: unknown; attempts: number }>;
      };
      const outcomes = new Map<string, { action: 'ack' | 'retry'; delaySeconds?: number }>();
      const messages: MessageLike[] = batch.messages.map((m) => ({
        ...m,
        ack: () => void outcomes.set(m.id, { action: 'ack' }),
        retry: (retry) =>
          void outcomes.set(m.id, {
            action: 'retry',
            ...(retry?.delaySeconds === undefined ? {} : { delaySeconds: retry.delaySeconds }),
          }),
      }));
      // Dead letters are only recorded (acked), for tests to look at.
      const run =
        batch.queue === 'jobs'
          ? options.consume({ queue: batch.queue, messages })
          : Promise.resolve(messages.forEach((m) => m.ack()));
      run.then(
        () => {
          for (const m of batch.messages) {
            const outcome = outcomes.get(m.id);
            deliveries.push({
              queue: batch.queue,
              messageId: m.id,
              body: m.body,
              attempts: m.attempts,
              outcome: outcome?.action ?? 'none',
              at,
              ...(outcome?.delaySeconds === undefined ? {} : { delaySeconds: outcome.delaySeconds }),
            });
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              outcomes: batch.messages.map((m) => ({ id: m.id, action: 'none', ...outcomes.get(m.id) })),
            }),
          );
        },
        (error: unknown) => {
          for (const m of batch.messages)
            deliveries.push({
              queue: batch.queue,
              messageId: m.id,
              body: m.body,
              attempts: m.attempts,
              outcome: 'none',
              at,
            });
          res.writeHead(500).end(String(error));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  let worker: WorkerdWorker;
  try {
    worker = await startWorker({
      entry: 'test/workerd/fixtures/queues-bridge-worker.ts',
      compatibilityDate: '2025-09-01',
      bindings: { BRIDGE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/batch` },
      queues: {
        queueProducers: { JOBS: 'jobs' },
        queueConsumers: {
          jobs: {
            maxBatchSize: 10,
            maxBatchTimeout: options.maxBatchTimeout ?? 1,
            maxRetries: options.maxRetries ?? 10,
            deadLetterQueue: 'jobs-dlq',
          },
          'jobs-dlq': { maxBatchSize: 10, maxBatchTimeout: 0 },
        },
      },
    });
  } catch (error) {
    server.close();
    throw error;
  }
  const queue = (await worker.miniflare.getQueueProducer('JOBS')) as unknown as QueueLike;
  return {
    queue,
    deliveries,
    async close() {
      await worker.dispose();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
