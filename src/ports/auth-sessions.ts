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
}

/** Browser sessions, in Postgres. */
export interface AuthSessionStore {
  /** Stores a new session under the hash of its secret. */
  create(session: { secretHash: Uint8Array; userId: string; idleExpiresAt: Date; absoluteExpiresAt: Date }, tx?: Transaction): Promise<AuthSession>;
  /** The session whose secret has this hash (revoked or expired ones too), or undefined. */
  findBySecretHash(secretHash: Uint8Array): Promise<AuthSession | undefined>;
  /** Records activity: moves last-seen and the idle expiry forward. */
  touch(id: string, lastSeenAt: Date, idleExpiresAt: Date): Promise<void>;
  /** Revokes the session (idempotent). */
  revoke(id: string, at: Date, tx?: Transaction): Promise<void>;
  /** Revokes every session of a user; returns how many. */
  revokeAllOfUser(userId: string, at: Date, tx?: Transaction): Promise<number>;
}
