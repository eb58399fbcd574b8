import type { Transaction } from './unit-of-work.ts';

/** One started OIDC login: what the callback needs to finish it, stored under the hash of its state. */
export interface LoginAttempt {
  readonly codeVerifier: string;
  readonly nonce: string;
  /** Where to send the browser after login: a path on our own origin. */
  readonly returnTo: string;
  readonly expiresAt: Date;
}

/** Started logins, in Postgres; each can be finished once. */
export interface LoginAttemptStore {
  /** Stores a started login. */
  create(stateHash: Uint8Array, attempt: LoginAttempt): Promise<void>;
  /**
   * Marks the attempt with this state hash consumed and returns it, atomically: a second call with
   * the same state (a replayed callback) gets undefined. Expired attempts are never returned.
   */
  consume(stateHash: Uint8Array, now: Date, tx?: Transaction): Promise<LoginAttempt | undefined>;
}
