import { createHmac } from 'node:crypto';
import type { Hmac } from '../../ports/hmac.ts';

/**
 * HMAC-SHA256 with Node's crypto, synchronously: a few microseconds, where WebCrypto's `sign`
 * queues a job on the thread pool and resolves a promise for every callback.
 */
export function createNodeHmac(): Hmac {
  return { sha256: (secret, message) => createHmac('sha256', secret).update(message, 'utf8').digest() };
}
