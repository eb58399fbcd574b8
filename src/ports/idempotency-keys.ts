import type { Transaction } from './unit-of-work.ts';

/** Whose key it is and for what: keys of different callers or operations never meet. */
export interface IdempotencyScope {
  /** The user the request was made for (every token and session of one person share their keys). */
  readonly callerId: string;
  /** The route's operation id, e.g. `startExecution`. */
  readonly operation: string;
  /** The `Idempotency-Key` header as the caller sent it. */
  readonly key: string;
}

/** The first answer given to a key. */
export interface RememberedAnswer {
  /** Hash of the request that used the key first. */
  readonly fingerprint: string;
  readonly status: number;
  readonly response: unknown;
}

/**
 * Thrown by `remember` when another request stored the same key first (both ran at once): the
 * caller's transaction must roll back, and the stored answer is the one to give.
 */
export class IdempotencyKeyTaken extends Error {
  constructor() {
    super('The idempotency key was stored by a concurrent request');
    this.name = 'IdempotencyKeyTaken';
  }
}

/** Idempotency keys and the first answer each got, for `windowMs` after it was given. */
export interface IdempotencyKeyStore {
  /** How long a key is remembered. */
  readonly windowMs: number;
  /** The answer remembered for the key, or undefined when it is unused (or older than the window). */
  find(scope: IdempotencyScope, tx?: Transaction): Promise<RememberedAnswer | undefined>;
  /**
   * Stores the answer in the transaction that did the work; throws `IdempotencyKeyTaken` when a
   * concurrent request already stored this key (it waits for that request's commit first).
   */
  remember(scope: IdempotencyScope, answer: RememberedAnswer, tx: Transaction): Promise<void>;
}
