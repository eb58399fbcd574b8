import type { Transaction } from './unit-of-work.ts';

/** A person known to Baton, keyed by their identity provider's issuer and subject. */
export interface User {
  readonly id: string;
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly createdAt: Date;
}

/** Issuer of users created before they first sign in (by the bootstrap CLI or an invitation by e-mail). */
export const pendingIssuer = 'urn:baton:pending';

/** Users, in Postgres. */
export interface UserStore {
  /** The user with this id, or undefined. */
  get(id: string, tx?: Transaction): Promise<User | undefined>;
  /** The user this identity provider knows by this subject, or undefined. */
  findByIdentity(issuer: string, subject: string, tx?: Transaction): Promise<User | undefined>;
  /** A user created ahead of sign-in (pendingIssuer) with this e-mail (case-insensitive), or undefined. */
  findPendingByEmail(email: string, tx?: Transaction): Promise<User | undefined>;
  /** Any user with this e-mail (case-insensitive), preferring signed-in ones; or undefined. */
  findByEmail(email: string, tx?: Transaction): Promise<User | undefined>;
  /** Creates the user for this identity, or refreshes e-mail and name when it exists; returns it. */
  upsertIdentity(
    identity: { issuer: string; subject: string; email: string | null; name: string | null },
    tx?: Transaction,
  ): Promise<User>;
  /** Re-keys a pending user to a real identity (their first sign-in) and refreshes e-mail and name. */
  claim(
    id: string,
    identity: { issuer: string; subject: string; email: string | null; name: string | null },
    tx?: Transaction,
  ): Promise<User>;
}
