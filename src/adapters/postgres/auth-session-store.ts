import type { AuthSession, AuthSessionStore } from '../../ports/auth-sessions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

const columns = [
  'id',
  'user_id',
  'created_at',
  'last_seen_at',
  'idle_expires_at',
  'absolute_expires_at',
  'revoked_at',
  'user_agent',
] as const;

function toSession(row: {
  id: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  user_agent: string | null;
}): AuthSession {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    idleExpiresAt: row.idle_expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    revokedAt: row.revoked_at,
    userAgent: row.user_agent,
  };
}

/** Browser sessions in Postgres (only the hash of each secret). */
export function createAuthSessionStore(db: Database): AuthSessionStore {
  const active = (userId: string, now: Date) =>
    db
      .selectFrom('auth_sessions')
      .select(columns)
      .where('user_id', '=', userId)
      .where('revoked_at', 'is', null)
      .where('idle_expires_at', '>', now)
      .where('absolute_expires_at', '>', now);
  return {
    async create(session, tx) {
      const row = await executor(db, tx)
        .insertInto('auth_sessions')
        .values({
          secret_hash: session.secretHash,
          user_id: session.userId,
          idle_expires_at: session.idleExpiresAt,
          absolute_expires_at: session.absoluteExpiresAt,
          user_agent: session.userAgent ?? null,
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toSession(row);
    },
    async findBySecretHash(secretHash) {
      const row = await db
        .selectFrom('auth_sessions')
        .select(columns)
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },
    async listActiveOfUser(userId, now) {
      return (await active(userId, now).orderBy('last_seen_at', 'desc').orderBy('created_at', 'desc').execute()).map(
        toSession,
      );
    },
    async getActiveOfUser(id, userId, now) {
      const row = await active(userId, now).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toSession(row);
    },
    async touch(id, lastSeenAt, idleExpiresAt) {
      await db
        .updateTable('auth_sessions')
        .set({ last_seen_at: lastSeenAt, idle_expires_at: idleExpiresAt })
        .where('id', '=', id)
        .execute();
    },
    async revoke(id, at, tx) {
      await executor(db, tx)
        .updateTable('auth_sessions')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
    },
    async revokeAllOfUser(userId, at, tx, options) {
      let update = executor(db, tx)
        .updateTable('auth_sessions')
        .set({ revoked_at: at })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null);
      if (options?.except !== undefined) update = update.where('id', '<>', options.except);
      return (await update.returning('id').execute()).map((row) => row.id);
    },
  };
}
