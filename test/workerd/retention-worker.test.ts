import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { buildWorkerBundle, startBatonWorker, type WorkerdWorker } from '../support/workerd.ts';

// The Worker prunes from its cron tick (docs/retention.md): every tick asks, and the lease in
// Postgres runs one pass per BATON_RETENTION_INTERVAL_MINUTES.
let database: TestDatabase;
let db: Database;
let outDir: string;
let worker: WorkerdWorker;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-retention-worker-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  await built;
  worker = await startBatonWorker({
    bundle: join(outDir, 'worker.js'),
    databaseUrl: database.url,
    publicUrl: 'http://127.0.0.1:9',
    dashboards: false,
  });
});

afterAll(async () => {
  await worker?.dispose();
  await db?.destroy();
  await database?.drop();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

const cronTick = async () => {
  const handle = (await worker.miniflare.getWorker()) as unknown as {
    scheduled(options: { cron: string }): Promise<{ outcome: string }>;
  };
  expect((await handle.scheduled({ cron: '* * * * *' })).outcome).toBe('ok');
};
const audit = async (action: string, daysAgo: number) =>
  void (await sql`insert into audit_log (action, created_at)
    values (${action}, now() - ${daysAgo} * interval '1 day')`.execute(db));
const actions = async () =>
  (await sql<{ action: string }>`select action from audit_log order by action`.execute(db)).rows.map((r) => r.action);

describe('retention in the Worker', () => {
  it('prunes on a cron tick, once per interval however many ticks come', async () => {
    await audit('older than a year', 400);
    await audit('last month', 30);
    await cronTick();
    expect(await actions()).toEqual(['last month']);

    // The next tick, a minute later, is within the hour: no pass.
    await audit('also older than a year', 400);
    await cronTick();
    expect(await actions()).toEqual(['also older than a year', 'last month']);
  });
});
