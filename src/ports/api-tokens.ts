import type { Scope } from '../domain/access/roles.ts';
import type { Transaction } from './unit-of-work.ts';

/** An API token, as stored: the secret itself is never kept, only its hash and a display prefix. */
export interface ApiToken {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  /** The first characters of the secret, to recognise it in lists (e.g. `baton_Xy12ab`). */
  readonly prefix: string;
  readonly scopes: readonly Scope[];
  /** When set, the token may only touch this dashboard. */
  readonly dashboardId: string | null;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/** API tokens, in Postgres. */
export interface ApiTokenStore {
  /** Stores a new token under the hash of its secret. */
  create(
    token: {
      userId: string;
      name: string;
      prefix: string;
      secretHash: Uint8Array;
      scopes: readonly Scope[];
      dashboardId: string | null;
      expiresAt: Date | null;
    },
    tx?: Transaction,
  ): Promise<ApiToken>;
  /** The token whose secret has this hash (revoked or expired ones too), or undefined. */
  findBySecretHash(secretHash: Uint8Array): Promise<ApiToken | undefined>;
  /** The user's tokens, newest first, revoked ones included. */
  listOfUser(userId: string): Promise<ApiToken[]>;
  /** The token with this id if it belongs to the user, or undefined. */
  getOfUser(id: string, userId: string): Promise<ApiToken | undefined>;
  /** Revokes the token (idempotent). */
  revoke(id: string, at: Date, tx?: Transaction): Promise<void>;
  /** Records use; implementations may skip the write when the last record is recent. */
  markUsed(id: string, at: Date): Promise<void>;
}
