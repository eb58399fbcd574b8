import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listenAccessChanges, PgAccessEvents } from '../../src/adapters/postgres/access-events.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { asUnavailable } from '../../src/app/http/errors.ts';
import type { AccessChange } from '../../src/ports/realtime.ts';
import { UnavailableError } from '../../src/ports/unavailable.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * Connections that Postgres drops (a restart, a failover, an administrator's terminate) are the
 * adapters' business: the process never dies of an unheard 'error' event, a query that hits the
 * loss fails as `UnavailableError` (a 503 at the edge), and the next one gets a new connection.
 */
let database: TestDatabase;
let db: Database;
let admin: pg.Client;

async function terminate(applicationName: string): Promise<number> {
  const { rowCount } = await admin.query(
    'select pg_terminate_backend(pid) from pg_stat_activity where datname = ' +
      'current_database() and application_name = $1 and pid <> pg_backend_pid()',
    [applicationName],
  );
  return rowCount ?? 0;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger, applicationName: 'outage-pool' });
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
});
afterAll(async () => {
  await admin?.end();
  await db?.destroy();
  await database?.drop();
});

describe('the pool when Postgres drops its connections', () => {
  it('survives losing a connection in use between two statements, and the next query gets a new one', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inside!: () => void;
    const entered = new Promise<void>((resolve) => (inside = resolve));
    const transaction = db.transaction().execute(async (trx) => {
      await sql`select 1`.execute(trx);
      inside();
      // Checked out, no statement running: the moment pg emits 'error' on the client itself.
      await held;
      await sql`select 2`.execute(trx);
    });
    await entered;
    expect(await terminate('outage-pool')).toBeGreaterThan(0);
    // Give the client time to hear the termination (an unheard 'error' would end this process);
    // generous, as a loaded machine delivers it late.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    release();
    const failure = await transaction.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UnavailableError);
    expect((failure as UnavailableError).code).toBe('unavailable');
    const { rows } = await sql<{ n: number }>`select 3 as n`.execute(db);
    expect(rows).toEqual([{ n: 3 }]);
  });

  it('fails a query as UnavailableError while nothing listens at the address', async () => {
    const nowhere = createDatabase({
      url: `postgres://baton:x@127.0.0.1:${await freePort()}/baton`,
      poolMax: 1,
      logger: silentLogger,
    });
    const failure = await sql`select 1`.execute(nowhere).then(
      () => undefined,
      (error: unknown) => error,
    );
    await nowhere.destroy();
    expect(failure).toBeInstanceOf(UnavailableError);
    expect(asUnavailable(failure)).toBeDefined();
  });

  it(
    'maps unclassified connection errors (SQLSTATE 08xxx, ' + '57P01, ECONNREFUSED) to unavailable, and nothing else',
    () => {
      for (const code of ['08006', '08001', '57P01', '57P03', 'ECONNREFUSED'])
        expect(asUnavailable(Object.assign(new Error('x'), { code }))?.code, code).toBe('unavailable');
      expect(
        asUnavailable(new Error('wrapped', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }))?.code,
      ).toBe('unavailable');
      for (const code of ['23505', '22P02', '40001', undefined])
        expect(asUnavailable(Object.assign(new Error('x'), { code })), String(code)).toBeUndefined();
    },
  );
});

describe('the access-change listener when Postgres drops its connection', () => {
  it('reconnects by itself, re-checks everything once back, and hears changes again', async () => {
    const heard: AccessChange[] = [];
    let rechecks = 0;
    const listener = await listenAccessChanges(database.url, (change) => heard.push(change), silentLogger, {
      onReconnect: () => rechecks++,
      initialBackoffMs: 50,
    });
    try {
      const events = new PgAccessEvents(db);
      await events.publish({ kind: 'user', userId: '00000000-0000-4000-8000-000000000001' });
      await eventually(() => heard.length === 1, 20_000, 'the first change heard');
      expect(rechecks).toBe(0);

      expect(await terminate('baton-access-listener')).toBe(1);
      await eventually(() => rechecks === 1, 10_000, 'a re-check after reconnecting');
      await events.publish({ kind: 'user', userId: '00000000-0000-4000-8000-000000000002' });
      await eventually(() => heard.length === 2, 20_000, 'a change heard after reconnecting');
    } finally {
      await listener.close();
    }
  });
});
