/**
 * HMAC-SHA256 of a message under a secret. The core's default is WebCrypto (asynchronous, runs
 * everywhere); a runtime may supply a faster one (Node's synchronous `createHmac`), since every
 * sandbox callback is checked with it.
 */
export interface Hmac {
  /** The 32-byte MAC of `message` (UTF-8) under `secret` (UTF-8). */
  sha256(secret: string, message: string): Uint8Array | Promise<Uint8Array>;
}
