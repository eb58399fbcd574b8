import { sql } from 'kysely';
import {
  IdempotencyKeyTaken,
  type IdempotencyKeyStore,
  type IdempotencyScope,
  type RememberedAnswer,
} from '../../ports/idempotency-keys.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

/** The table, declared here so the store needs nothing from the shared schema file. */
interface IdempotencyKeysTable {
  caller_id: string;
  operation: string;
  key: string;
  fingerprint: string;
  status: number;
  response: unknown;
  created_at: Date;
}

const dayMs = 24 * 60 * 60 * 1000;

/** Idempotency keys in Postgres (`idempotency_keys`), remembered for 24 hours. */
export function createIdempotencyKeyStore(db: Database, options: { windowMs?: number } = {}): IdempotencyKeyStore {
  const windowMs = options.windowMs ?? dayMs;
  const on = (tx?: Transaction) => executor(db, tx).withTables<{ idempotency_keys: IdempotencyKeysTable }>();
  const freshSince = () => new Date(Date.now() - windowMs);
  return {
    windowMs,
    async find(scope: IdempotencyScope, tx?: Transaction): Promise<RememberedAnswer | undefined> {
      const row = await on(tx)
        .selectFrom('idempotency_keys')
        .select(['fingerprint', 'status', 'response'])
        .where('caller_id', '=', scope.callerId)
        .where('operation', '=', scope.operation)
        .where('key', '=', scope.key)
        .where('created_at', '>=', freshSince())
        .executeTakeFirst();
      return row === undefined
        ? undefined
        : { fingerprint: row.fingerprint, status: row.status, response: row.response };
    },
    async remember(scope: IdempotencyScope, answer: RememberedAnswer, tx: Transaction): Promise<void> {
      const q = on(tx);
      // A row older than the window is a key used long ago: this use replaces it. A fresh one was
      // written by a concurrent request (the insert waited for its commit): that one wins.
      const stored = await q
        .insertInto('idempotency_keys')
        .values({
          caller_id: scope.callerId,
          operation: scope.operation,
          key: scope.key,
          fingerprint: answer.fingerprint,
          status: answer.status,
          response: JSON.stringify(answer.response),
          created_at: new Date(),
        })
        .onConflict((oc) =>
          oc
            .columns(['caller_id', 'operation', 'key'])
            .doUpdateSet((eb) => ({
              fingerprint: eb.ref('excluded.fingerprint'),
              status: eb.ref('excluded.status'),
              response: eb.ref('excluded.response'),
              created_at: eb.ref('excluded.created_at'),
            }))
            .where('idempotency_keys.created_at', '<', freshSince()),
        )
        .returning(sql<number>`1`.as('stored'))
        .executeTakeFirst();
      if (stored === undefined) throw new IdempotencyKeyTaken();
      // Keep the table to the window: the caller's expired keys go as they use new ones.
      await q
        .deleteFrom('idempotency_keys')
        .where('caller_id', '=', scope.callerId)
        .where('created_at', '<', freshSince())
        .execute();
    },
  };
}
