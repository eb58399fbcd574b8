import { sql } from 'kysely';
import type { Scope } from '../../domain/access/roles.ts';
import type { ApiToken, ApiTokenStore } from '../../ports/api-tokens.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

const columns = [
  'id',
  'user_id',
  'name',
  'prefix',
  'scopes',
  'dashboard_id',
  'expires_at',
  'last_used_at',
  'created_at',
  'revoked_at',
] as const;

function toToken(row: {
  id: string;
  user_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  dashboard_id: string | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
  revoked_at: Date | null;
}): ApiToken {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes as Scope[],
    dashboardId: row.dashboard_id,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

/** API tokens in Postgres (only the hash of each secret). */
export function createApiTokenStore(db: Database): ApiTokenStore {
  return {
    async create(token, tx) {
      const row = await executor(db, tx)
        .insertInto('api_tokens')
        .values({
          user_id: token.userId,
          name: token.name,
          prefix: token.prefix,
          secret_hash: token.secretHash,
          scopes: [...token.scopes],
          dashboard_id: token.dashboardId,
          expires_at: token.expiresAt,
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toToken(row);
    },
    async findBySecretHash(secretHash) {
      const row = await db
        .selectFrom('api_tokens')
        .select(columns)
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toToken(row);
    },
    async listOfUser(userId) {
      const rows = await db
        .selectFrom('api_tokens')
        .select(columns)
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute();
      return rows.map(toToken);
    },
    async getOfUser(id, userId) {
      const row = await db
        .selectFrom('api_tokens')
        .select(columns)
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return row === undefined ? undefined : toToken(row);
    },
    async revoke(id, at, tx) {
      await executor(db, tx)
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async markUsed(id, at) {
      // At most one write a minute per token: a busy script should not turn every read into a write.
      await db
        .updateTable('api_tokens')
        .set({ last_used_at: at })
        .where('id', '=', id)
        .where((eb) =>
          eb.or([
            eb('last_used_at', 'is', null),
            eb('last_used_at', '<', sql<Date>`${at}::timestamptz - interval '60 seconds'`),
          ]),
        )
        .execute();
    },
  };
}
