import type { Transaction } from './unit-of-work.ts';

/** A browser session, as stored: only the hash of the cookie's secret is kept. */
export interface AuthSession {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  readonly idleExpiresAt: Date;
  readonly absoluteExpiresAt: Date;
  readonly revokedAt: Date | null;
  /**
   * The browser's User-Agent at sign-in (shortened), so a person can tell their
   * sessions apart; null when none was sent.
   */
  readonly userAgent: string | null;
}

/** Browser sessions, in Postgres. */
export interface AuthSessionStore {
  /** Stores a new session under the hash of its secret. */
  create(
    session: {
      secretHash: Uint8Array;
      userId: string;
      idleExpiresAt: Date;
      absoluteExpiresAt: Date;
      userAgent?: string | null;
    },
    tx?: Transaction,
  ): Promise<AuthSession>;
  /** The session whose secret has this hash (revoked or expired ones too), or undefined. */
  findBySecretHash(secretHash: Uint8Array): Promise<AuthSession | undefined>;
  /** The user's sessions still in force at `now` (not revoked, neither expiry passed), most recently used first. */
  listActiveOfUser(userId: string, now: Date): Promise<AuthSession[]>;
  /** One session of this user still in force at `now`; undefined for another user's, an ended one, or none. */
  getActiveOfUser(id: string, userId: string, now: Date): Promise<AuthSession | undefined>;
  /** Records activity: moves last-seen and the idle expiry forward. */
  touch(id: string, lastSeenAt: Date, idleExpiresAt: Date): Promise<void>;
  /** Revokes the session (idempotent). */
  revoke(id: string, at: Date, tx?: Transaction): Promise<void>;
  /** Revokes every session of a user not yet revoked, except `except`; returns the ids it revoked. */
  revokeAllOfUser(
    userId: string,
    at: Date,
    tx?: Transaction,
    options?: { readonly except?: string },
  ): Promise<string[]>;
}
