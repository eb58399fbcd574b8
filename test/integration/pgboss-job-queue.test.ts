import { afterAll, describe, expect, it } from 'vitest';
import { PgBossJobQueue } from '../../src/adapters/pgboss/pg-boss-job-queue.ts';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { createUnitOfWork } from '../../src/adapters/postgres/unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { spawnCommand } from '../support/processes.ts';
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
      await first.work(
        'expiring',
        () =>
          new Promise<void>((resolve) => {
            taken = true;
            release = resolve;
          }),
        { concurrency: 1 },
      );
      await first.send('expiring', { n: 1 });
      await eventually(() => taken, 20_000, 'the first worker to take the job');
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
  });
});

describe('pg-boss: a job whose worker was killed', () => {
  it('is retried by another worker within about 20 s, however long the job may run', async () => {
    const own = await createTestDatabase();
    const survivor = new PgBossJobQueue({ connectionString: own.url, logger: silentLogger });
    // The worker that takes the job runs as its own process and is SIGKILLed holding it.
    const script = `
      import { PgBossJobQueue } from './src/adapters/pgboss/pg-boss-job-queue.ts';
      const queue = new PgBossJobQueue({ connectionString: process.env.DATABASE_URL, logger: { info() {}, warn() {}, \
error() {}, debug() {}, child() { return this; } } });
      await queue.start();
      await queue.declareTopic('held', { retryLimit: 3, retryDelaySeconds: 1, expireInSeconds: 300 });
      await queue.work('held', () => { console.log('taken'); return new Promise(() => undefined); });
      await queue.send('held', { n: 1 });`;
    const doomed = spawnCommand(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', '--input-type=module', '-e', script],
      { DATABASE_URL: own.url },
    );
    try {
      await eventually(() => doomed.output().includes('taken'), 30_000, 'the doomed worker to take the job');
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      const killedAt = Date.now();
      await survivor.start();
      const seen: number[] = [];
      await survivor.declareTopic('held', { retryLimit: 3, retryDelaySeconds: 1, expireInSeconds: 300 });
      await survivor.work<{ n: number }>('held', async (job) => void seen.push(job.data.n), { concurrency: 1 });
      await eventually(() => (seen.length > 0 ? true : undefined), 45_000, 'the survivor to get the job');
      expect(seen).toEqual([1]);
      // Long before its 300 s expiry: its heartbeat stopped with its process.
      expect(Date.now() - killedAt).toBeLessThan(60_000);
    } finally {
      if (doomed.child.exitCode === null && doomed.child.signalCode === null) doomed.child.kill('SIGKILL');
      await survivor.stop({ timeoutMs: 1000 });
      await own.drop();
    }
  });
});
