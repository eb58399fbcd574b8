import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { migrateToLatest, migrationsProbe, pendingMigrations } from '../../src/adapters/postgres/migrator.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { readdirSync } from 'node:fs';

describe('migrations', () => {
  let database: TestDatabase;
  let db: Database;
  const files = readdirSync('migrations')
    .filter((f) => f.endsWith('.sql'))
    .sort();

  beforeAll(async () => {
    database = await createTestDatabase({ empty: true });
    db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('are all pending on an empty database, and readiness says so', async () => {
    expect(await pendingMigrations(db)).toEqual(files.map((f) => f.replace(/\.sql$/, '')));
    const probe = await migrationsProbe(db).check();
    expect(probe).toEqual({ ok: false, reason: expect.stringContaining('pending migrations: 0001_installation') });
  });

  it('apply every file in order to an empty database', async () => {
    expect(await migrateToLatest(db)).toEqual(files.map((f) => f.replace(/\.sql$/, '')));
    expect(await pendingMigrations(db)).toEqual([]);
    expect(await migrationsProbe(db).check()).toEqual({ ok: true });
  });

  it('leave the schema the service expects', async () => {
    const installation = await db.selectFrom('installation').selectAll().execute();
    expect(installation).toHaveLength(1);
    expect(installation[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    await expect(sql`insert into installation default values`.execute(db)).rejects.toThrow(/unique/);
  });

  it('are applied once: a second run, even concurrent, does nothing', async () => {
    const [a, b] = await Promise.all([migrateToLatest(db), migrateToLatest(db)]);
    expect([...a, ...b]).toEqual([]);
  });
});
