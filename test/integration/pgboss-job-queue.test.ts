import { afterAll } from 'vitest';
import { PgBossJobQueue } from '../../src/adapters/pgboss/pg-boss-job-queue.ts';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { createUnitOfWork } from '../../src/adapters/postgres/unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { describeJobQueue } from '../support/suites/job-queue-suite.ts';

let database: TestDatabase | undefined;
afterAll(async () => database?.drop());

describeJobQueue('pg-boss', async () => {
  database = await createTestDatabase();
  const db = createDatabase({ url: database.url, poolMax: 4, logger: silentLogger });
  const queue = new PgBossJobQueue({ connectionString: database.url, logger: silentLogger });
  await queue.start();
  return {
    queue,
    unitOfWork: createUnitOfWork(db),
    async close() {
      await queue.stop({ timeoutMs: 2000 });
      await db.destroy();
    },
  };
});
