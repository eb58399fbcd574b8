import type { Transaction } from '../../ports/unit-of-work.ts';
import type { Database } from './database.ts';
import { kyselyTransaction } from './unit-of-work.ts';

/** The handle a store runs a query on: the caller's transaction when given, else the pool. */
export function executor(db: Database, tx?: Transaction): Database {
  return tx === undefined ? db : kyselyTransaction(tx);
}

/** Runs `work` in the caller's transaction, or in a new one. */
export async function inTransaction<T>(
  db: Database,
  tx: Transaction | undefined,
  work: (q: Database) => Promise<T>,
): Promise<T> {
  if (tx !== undefined) return work(executor(db, tx));
  return db.transaction().execute((trx) => work(trx as unknown as Database));
}
