import type { LoginAttemptStore } from '../../ports/login-attempts.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

/** Started logins in Postgres; consuming one is a single conditional update, so it happens once. */
export function createLoginAttemptStore(db: Database): LoginAttemptStore {
  return {
    async create(stateHash, attempt) {
      await db
        .insertInto('login_attempts')
        .values({
          state_hash: stateHash,
          code_verifier: attempt.codeVerifier,
          nonce: attempt.nonce,
          return_to: attempt.returnTo,
          expires_at: attempt.expiresAt,
        })
        .execute();
      // Old attempts are useless after they expire; keep the table small.
      await db
        .deleteFrom('login_attempts')
        .where('expires_at', '<', new Date(Date.now() - 86_400_000))
        .execute();
    },
    async consume(stateHash, now, tx) {
      const row = await executor(db, tx)
        .updateTable('login_attempts')
        .set({ consumed_at: now })
        .where('state_hash', '=', stateHash)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', now)
        .returning(['code_verifier', 'nonce', 'return_to', 'expires_at'])
        .executeTakeFirst();
      return row === undefined
        ? undefined
        : { codeVerifier: row.code_verifier, nonce: row.nonce, returnTo: row.return_to, expiresAt: row.expires_at };
    },
  };
}
