/**
 * The parts of Cloudflare Queues' JavaScript API the job-queue adapter uses, declared here (as
 * `…Like` subsets) so that nothing depends on @cloudflare/workers-types; a real `Queue` binding
 * and a real `MessageBatch` satisfy them. Also the shape of our messages on the queue.
 */

/** One message of a `sendBatch` call. */
export interface MessageSendRequestLike {
  /** The message body; we always send JSON. */
  readonly body: unknown;
  /** `json` keeps messages readable in the dashboard and in the dead-letter queue. */
  readonly contentType?: 'json';
  /** Seconds before the message is delivered (at most the Queues limit, 24 hours today). */
  readonly delaySeconds?: number;
}

/** A Queues producer binding (`env.JOBS`). */
export interface QueueLike {
  /** Sends one message. */
  send(body: unknown, options?: { readonly contentType?: 'json'; readonly delaySeconds?: number }): Promise<unknown>;
  /** Sends up to 100 messages (256 KB in all) at once. */
  sendBatch(messages: readonly MessageSendRequestLike[]): Promise<unknown>;
}

/** One delivered message, as the consumer's `queue()` handler receives it. */
export interface MessageLike {
  /** Queues' id of the message (stable across its retries, new when we send it again). */
  readonly id: string;
  /** The body as sent. */
  readonly body: unknown;
  /** 1 on the first delivery, +1 on each retry. */
  readonly attempts: number;
  /** Marks the message done: it is not delivered again. */
  ack(): void;
  /** Delivers the message again later (counts as an attempt). */
  retry(options?: { readonly delaySeconds?: number }): void;
}

/** What the Worker's `queue(batch, env, ctx)` entry receives. */
export interface MessageBatchLike {
  /** The queue's name. */
  readonly queue: string;
  /** The messages, each to be acked or retried. */
  readonly messages: readonly MessageLike[];
}

/**
 * Our message body: one queue carries every topic. `id` is the job's id (stable across retries
 * and across the re-sends of a long delay); `notBefore` (ISO time) is set when the job must not
 * start before then; `retryLimit` overrides the topic's.
 */
export interface JobMessage {
  readonly id: string;
  readonly topic: string;
  readonly data: object;
  readonly notBefore?: string;
  readonly retryLimit?: number;
}

/** The body as a job message, or undefined if it is not one (a foreign or corrupt message). */
export function parseJobMessage(body: unknown): JobMessage | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, unknown>;
  if (typeof b.id !== 'string' || typeof b.topic !== 'string' || typeof b.data !== 'object' || b.data === null)
    return undefined;
  if (b.notBefore !== undefined && (typeof b.notBefore !== 'string' || Number.isNaN(Date.parse(b.notBefore))))
    return undefined;
  if (b.retryLimit !== undefined && typeof b.retryLimit !== 'number') return undefined;
  return b as unknown as JobMessage;
}

/** Queues' limits on one `sendBatch` call (https://developers.cloudflare.com/queues/platform/limits/). */
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 256_000;
/** What Queues counts per message on top of its body. */
const MESSAGE_OVERHEAD_BYTES = 100;

/** Splits messages into `sendBatch` calls that respect Queues' limits on count and total size. */
export function sendBatches(messages: readonly MessageSendRequestLike[]): MessageSendRequestLike[][] {
  const encoder = new TextEncoder();
  const batches: MessageSendRequestLike[][] = [];
  let current: MessageSendRequestLike[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = encoder.encode(JSON.stringify(message.body)).byteLength + MESSAGE_OVERHEAD_BYTES;
    if (current.length > 0 && (current.length === MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
