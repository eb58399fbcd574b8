import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgBossJobQueue } from '../../src/adapters/pgboss/pg-boss-job-queue.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { insertOutboxJobs, PostgresJobOutbox } from '../../src/adapters/postgres/job-outbox.ts';
import { createUnitOfWork } from '../../src/adapters/postgres/unit-of-work.ts';
import type { UnitOfWork } from '../../src/ports/unit-of-work.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';

let database: TestDatabase;
let db: Database;
let queue: PgBossJobQueue;
let unitOfWork: UnitOfWork;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 6, logger: silentLogger });
  queue = new PgBossJobQueue({ connectionString: database.url, logger: silentLogger });
  await queue.start();
  unitOfWork = createUnitOfWork(db);
});
afterAll(async () => {
  await queue.stop({ timeoutMs: 2000 });
  await db.destroy();
  await database.drop();
});

const outboxSize = async () =>
  Number(
    (
      await db
        .selectFrom('job_outbox')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('the transactional job outbox', () => {
  it(
    'moves every committed job to the queue exactly once, ' + 'even with two relays at work; a rolled-back one never',
    async () => {
      await queue.declareTopic('outbox-once');
      const seen: number[] = [];
      await queue.work<{ n: number }>('outbox-once', async (job) => void seen.push(job.data.n), { concurrency: 8 });
      await expect(
        unitOfWork.run(async (tx) => {
          await insertOutboxJobs(tx, [{ topic: 'outbox-once', data: { n: -1 } }]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      const sent = Array.from({ length: 300 }, (_, n) => n);
      await unitOfWork.run((tx) =>
        insertOutboxJobs(
          tx,
          sent.map((n) => ({ topic: 'outbox-once', data: { n } })),
        ),
      );
      const relays = [
        new PostgresJobOutbox({ db, queue, logger: silentLogger, batchSize: 40 }),
        new PostgresJobOutbox({ db, queue, logger: silentLogger, batchSize: 40 }),
      ];
      for (const relay of relays) relay.start();
      for (const relay of relays) relay.kick();
      await eventually(async () => (seen.length >= 300 ? true : undefined), 20_000, '300 jobs');
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (const relay of relays) await relay.stop();
      expect(seen.sort((x, y) => x - y)).toEqual(sent);
      expect(await outboxSize()).toBe(0);
    },
  );

  it(
    'relays on its timer what nobody kicked for (jobs a ' + 'crashed process committed), keeping their start time',
    async () => {
      await queue.declareTopic('outbox-orphan');
      const seen: Array<{ n: number; at: number }> = [];
      await queue.work<{ n: number }>(
        'outbox-orphan',
        async (job) => void seen.push({ n: job.data.n, at: Date.now() }),
      );
      const relay = new PostgresJobOutbox({ db, queue, logger: silentLogger, pollMs: 200 });
      relay.start();
      const due = Date.now() + 1_500;
      await unitOfWork.run((tx) =>
        insertOutboxJobs(tx, [
          { topic: 'outbox-orphan', data: { n: 1 } },
          { topic: 'outbox-orphan', data: { n: 2 }, startAfter: new Date(due) },
        ]),
      );
      await eventually(async () => (seen.length === 2 ? true : undefined), 20_000, 'both jobs');
      await relay.stop();
      expect(seen.find((j) => j.n === 2)?.at).toBeGreaterThanOrEqual(due);
      expect(await outboxSize()).toBe(0);
    },
  );

  it(
    'keeps a delayed job until it is almost due, so that ' +
      'cancel withdraws it; an uncancelled one still runs on time',
    async () => {
      await queue.declareTopic('outbox-backup');
      const seen: Array<{ n: number; at: number }> = [];
      await queue.work<{ n: number }>(
        'outbox-backup',
        async (job) => void seen.push({ n: job.data.n, at: Date.now() }),
      );
      const relay = new PostgresJobOutbox({ db, queue, logger: silentLogger, pollMs: 200, lookaheadMs: 1_000 });
      relay.start();
      // Due well beyond the look-ahead, so the cancel below comes first however slowly this machine runs.
      const due = Date.now() + 10_000;
      await unitOfWork.run((tx) =>
        insertOutboxJobs(tx, [
          { topic: 'outbox-backup', data: { n: 1 }, startAfter: new Date(due), cancelKey: 'backup:1' },
          { topic: 'outbox-backup', data: { n: 2 }, startAfter: new Date(due), cancelKey: 'backup:2' },
        ]),
      );
      relay.kick();
      // Not due within the look-ahead: both wait in the outbox (the queue has nothing yet).
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await outboxSize()).toBe(2);
      relay.cancel(['backup:1', 'backup:unknown']);
      await eventually(
        async () => ((await outboxSize()) === 1 ? true : undefined),
        20_000,
        'the cancelled job withdrawn',
      );
      await eventually(async () => (seen.length === 1 ? true : undefined), 20_000, 'the other job');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await relay.stop();
      expect(seen).toEqual([{ n: 2, at: expect.any(Number) }]);
      expect(seen[0]?.at).toBeGreaterThanOrEqual(due);
      expect(await outboxSize()).toBe(0);
    },
  );
});
