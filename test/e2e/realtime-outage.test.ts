import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/adapters/postgres/embedded-postgres.ts';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { callApi } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';
import { startServerProcess, type Spawned } from '../support/processes.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { addNote } from '../support/suites/realtime-suite.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * Live dashboards through a Postgres outage: Baton as its own process on a Postgres of this test's
 * own (an embedded cluster on a fixed port, stopped and started again), clients in the test.
 */
let dataDir: string;
let postgresPort: number;
let postgres: EmbeddedPostgres;
let db: Database;
let server: Spawned | undefined;
let url = '';
let token = '';
let dashboardId = '';
const clients: RealtimeClient[] = [];

const startPostgres = async () => {
  postgres = await startEmbeddedPostgres({ dataDir, logger: silentLogger, port: postgresPort });
};

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'baton-realtime-outage-'));
  postgresPort = await freePort();
  await startPostgres();
  db = createDatabase({ url: postgres.url, poolMax: 2, logger: silentLogger });
  await migrateToLatest(db);
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: postgres.url }));
  const made = await bootstrapToken(ctx, { email: 'outage@example.com', workspaceName: 'Outage' });
  token = made.secret;
  dashboardId = (
    await createDashboard(
      ctx,
      sessionPrincipal(made.user.id),
      made.workspace?.id ?? '',
      { name: 'Outage board' },
      'setup',
    )
  ).id;
  await db.destroy();
  const port = await freePort();
  // Open connections are re-checked every second: during the outage every re-check fails.
  server = await startServerProcess(postgres.url, port, { BATON_REALTIME_RECHECK_SECONDS: '1' });
  url = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  if (server !== undefined && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
  }
  await postgres?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('live dashboards through a Postgres outage', () => {
  it(
    'tells a client that connects while Postgres is down to retry (never permission ' +
      'denied), syncs it once Postgres is back, and keeps the ones connected',
    async () => {
      const steady = connectClient(url, dashboardId, { token, reconnectForever: true });
      clients.push(steady);
      await eventually(() => steady.provider.isSynced, 10_000, 'a client syncs before the outage');

      await postgres.stop();
      const during = connectClient(url, dashboardId, { token, reconnectForever: true });
      clients.push(during);
      // Admission cannot reach Postgres: the socket is closed as "try again", never refused.
      await eventually(() => during.closes().some((c) => c.code === 4503), 10_000, 'a retryable close');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(during.refused()).toBeUndefined();
      expect(during.provider.isSynced).toBe(false);

      await startPostgres();
      // The provider keeps retrying with its backoff (here at most 500 ms apart): it is admitted and syncs.
      await eventually(() => during.provider.isSynced, 15_000, 'the client syncs once Postgres is back');
      expect(during.refused()).toBeUndefined();
      addNote(during.doc, 'after-outage', 'written after Postgres came back', 'outage');
      await eventually(
        async () =>
          (
            (await callApi(url, 'GET', `/v1/dashboards/${dashboardId}/items`, token)).body.items as Array<{
              id: string;
            }>
          ).some((i) => i.id === 'after-outage'),
        10_000,
        'the edit is durable',
      );
      // The client connected all along was kept by the re-checks that failed, and still writes.
      expect(steady.closes()).toEqual([]);
      addNote(steady.doc, 'steady', 'connected through the outage', 'outage');
      await eventually(
        () =>
          (during.doc.getMap('items').get('steady') as { get(key: string): unknown } | undefined)?.get('id') ===
          'steady',
        10_000,
        'the steady client still writes',
      );
      expect(server?.child.exitCode).toBeNull();
    },
  );
});
