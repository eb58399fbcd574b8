import { afterAll, describe, expect, it } from 'vitest';
import { PgBossJobQueue } from '../../src/adapters/pgboss/pg-boss-job-queue.ts';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { createUnitOfWork } from '../../src/adapters/postgres/unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
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

describe('pg-boss: a job whose worker died', () => {
  it('is handed to another worker once it expires (expireInSeconds honoured)', async () => {
    const own = await createTestDatabase();
    const first = new PgBossJobQueue({ connectionString: own.url, logger: silentLogger });
    const second = new PgBossJobQueue({ connectionString: own.url, logger: silentLogger });
    try {
      await first.start();
      await second.start();
      await first.declareTopic('expiring', { retryLimit: 3, retryDelaySeconds: 1, expireInSeconds: 1 });
      let taken = false;
      let release: () => void = () => undefined;
      // The first worker takes the job and never finishes it (as if its process had been killed).
      await first.work('expiring', () => new Promise<void>((resolve) => {
        taken = true;
        release = resolve;
      }), { concurrency: 1 });
      await first.send('expiring', { n: 1 });
      await eventually(() => taken, 5_000, 'the first worker to take the job');
      const seen: number[] = [];
      await second.work<{ n: number }>('expiring', async (job) => void seen.push(job.data.n), { concurrency: 1 });
      await eventually(() => (seen.length > 0 ? true : undefined), 30_000, 'the second worker to get the expired job');
      expect(seen).toEqual([1]);
      release();
    } finally {
      await second.stop({ timeoutMs: 1000 });
      await first.stop({ timeoutMs: 1000 });
      await own.drop();
    }
  }, 40_000);
});
