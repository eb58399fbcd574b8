import type { Transaction as KyselyTransaction } from 'kysely';
import type { Transaction, UnitOfWork } from '../../ports/unit-of-work.ts';
import type { Database } from './database.ts';
import type { DatabaseSchema } from './schema.ts';

/** The unit of work over kysely: the opaque port Transaction is a kysely transaction inside. */
export function createUnitOfWork(db: Database): UnitOfWork {
  return {
    run: (work) => db.transaction().execute((trx) => work(trx as unknown as Transaction)),
  };
}

/** Opens the opaque transaction handle; only Postgres adapters may call this. */
export function kyselyTransaction(tx: Transaction): KyselyTransaction<DatabaseSchema> {
  return tx as unknown as KyselyTransaction<DatabaseSchema>;
}
