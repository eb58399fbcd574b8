import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/adapters/postgres/embedded-postgres.ts';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { createDashboard, removeDashboardMember, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { stateDocumentName } from '../../src/app/realtime/document-name.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { realtimeSuite, realtimeSuiteEnv, suiteRecheckSeconds } from '../support/suites/realtime-suite.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { buildWorkerBundle, startBatonWorker, type WorkerdWorker } from '../support/workerd.ts';

// Live dashboards on Cloudflare: the bundle `npm run build:cloudflare` writes, in workerd with
// wrangler.toml's date, flags and DASHBOARDS Durable Object binding, Postgres through Hyperdrive.
// A Node Baton on the same database sets up users and dashboards. Clients are @hocuspocus/provider
// over real WebSockets to the Worker, which forwards them to the dashboard's object. The shared
// realtime suite runs here as in test/integration/realtime.test.ts (Node).
let database: TestDatabase;
let node: TestApp;
let outDir: string;
let worker: WorkerdWorker;

/**
 * Starts the built Worker; each start gets empty Durable Object storage of its own. The periodic
 * re-check waits the suite's hour by default, so the suite's prompt revocations prove the prompt path.
 */
async function startBaton(recheckSeconds = suiteRecheckSeconds): Promise<WorkerdWorker> {
  return startBatonWorker({
    bundle: join(outDir, 'worker.js'),
    databaseUrl: database.url,
    publicUrl: node.config.http.publicUrl,
    env: { ...realtimeSuiteEnv, BATON_REALTIME_RECHECK_SECONDS: String(recheckSeconds) },
    dashboardsDir: await mkdtemp(join(outDir, 'objects-')),
  });
}

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-realtime-do-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  node = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000', ...realtimeSuiteEnv });
  await built;
  worker = await startBaton();
});

afterAll(async () => {
  await worker?.dispose();
  await node?.close().catch(() => undefined);
  await database?.drop();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

realtimeSuite('Cloudflare (Durable Object per dashboard)', () => ({
  url: worker.url,
  publicOrigin: new URL(node.config.http.publicUrl).origin,
  ctx: node.ctx,
  async restart() {
    await worker.dispose();
    worker = await startBaton();
  },
}));

describe('the dashboard Durable Object', () => {
  const clients: RealtimeClient[] = [];
  const people = {} as Record<'owner' | 'viewer', { secret: string; userId: string }>;
  let workspaceId = '';

  beforeAll(async () => {
    const owner = await bootstrapToken(node.ctx, { email: 'do-owner@example.com', workspaceName: 'Edge' });
    people.owner = { secret: owner.secret, userId: owner.user.id };
    workspaceId = owner.workspace?.id ?? '';
    const viewer = await bootstrapToken(node.ctx, { email: 'do-viewer@example.com' });
    people.viewer = { secret: viewer.secret, userId: viewer.user.id };
    await setMember(
      node.ctx,
      sessionPrincipal(owner.user.id),
      workspaceId,
      { email: 'do-viewer@example.com', role: 'member' },
      'setup',
    );
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.destroy();
  });

  async function board(): Promise<string> {
    const owner = sessionPrincipal(people.owner.userId);
    const dashboard = await createDashboard(node.ctx, owner, workspaceId, { name: `Board ${Math.random()}` }, 'setup');
    await setDashboardMember(node.ctx, owner, dashboard.id, people.viewer.userId, { role: 'viewer' }, 'setup');
    return dashboard.id;
  }

  const connect = (url: string, dashboardId: string, token: string) => {
    const made = connectClient(url, dashboardId, { token });
    clients.push(made);
    return made;
  };
  const presentAt = async (url: string, id: string) =>
    (
      (await (
        await fetch(`${url}/v1/dashboards/${id}/presence`, {
          headers: { authorization: `Bearer ${people.owner.secret}` },
        })
      ).json()) as { viewers: Array<{ userId: string }> }
    ).viewers.map((v) => v.userId);
  const registered = async (id: string) =>
    (await node.db.selectFrom('live_connections').select(['user_id']).where('dashboard_id', '=', id).execute())
      .map((r) => r.user_id)
      .sort();

  it('records open connections in the registry and forgets them when they close', async () => {
    const id = await board();
    const owner = connect(worker.url, id, people.owner.secret);
    const viewer = connect(worker.url, id, people.viewer.secret);
    await eventually(() => owner.provider.isSynced && viewer.provider.isSynced, 10_000, 'synced');
    await eventually(async () => ((await registered(id)).length === 2 ? true : undefined), 15_000, 'both recorded');
    expect(await registered(id)).toEqual([people.owner.userId, people.viewer.userId].sort());
    viewer.destroy();
    await eventually(
      async () => ((await registered(id)).length === 1 ? true : undefined),
      15_000,
      'the viewer forgotten',
    );
    expect(await registered(id)).toEqual([people.owner.userId]);
  });

  it('refuses a socket opened for one dashboard that asks for another document', async () => {
    const id = await board();
    const other = await board();
    // The socket reaches `id`'s object, which serves `id` only (else two objects could hold one document).
    // Its own state document (`<id>/state`) it serves; another dashboard's, or any other name, it refuses.
    const own = connectClient(worker.url, id, { token: people.owner.secret, state: true });
    clients.push(own);
    for (const documentName of [other, stateDocumentName(other), `${id}/items`]) {
      const smuggled = connectClient(worker.url, id, { token: people.owner.secret, documentName });
      clients.push(smuggled);
      await eventually(() => smuggled.refused(), 10_000, `refusal of ${documentName}`);
      expect(smuggled.authenticated()).toBe(false);
    }
    await eventually(() => own.provider.isSynced, 10_000, 'its own state document synced');
    expect(own.scope()).toBe('readonly');
  });

  it('disconnects a member whose access changed where no one told the object, at the periodic re-check', async () => {
    // Changed through Node's use cases: only Node's instances hear that (Postgres NOTIFY).
    const checking = await startBaton(1);
    try {
      const id = await board();
      const owner = connect(checking.url, id, people.owner.secret);
      const viewer = connect(checking.url, id, people.viewer.secret);
      await eventually(() => owner.provider.isSynced && viewer.provider.isSynced, 10_000, 'synced');
      await eventually(
        async () => ((await presentAt(checking.url, id)).includes(people.viewer.userId) ? true : undefined),
        15_000,
        'the viewer present',
      );
      await removeDashboardMember(node.ctx, sessionPrincipal(people.owner.userId), id, people.viewer.userId, 'revoke');
      await eventually(
        async () => (!(await presentAt(checking.url, id)).includes(people.viewer.userId) ? true : undefined),
        10_000,
        'the viewer disconnected',
      );
      expect(await presentAt(checking.url, id)).toContain(people.owner.userId);
    } finally {
      for (const client of clients.splice(0)) client.destroy();
      await checking.dispose();
    }
  });

  it('answers a realtime upgrade that names no dashboard with a JSON 400 naming the parameter', async () => {
    const answer = await new Promise<{ status: number; body: string; nosniff: unknown }>((resolve, reject) => {
      const socket = new WebSocket(`${worker.url.replace(/^http/, 'ws')}/v1/realtime`);
      socket.on('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body, nosniff: response.headers['x-content-type-options'] }),
        );
      });
      socket.on('open', () => reject(new Error('the Worker accepted a socket without a dashboard')));
      socket.on('error', () => undefined);
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      error: { code: 'invalid_input', details: { issues: [{ path: 'dashboard' }] } },
    });
    // The same security headers as every other answer.
    expect(answer.nosniff).toBe('nosniff');
  });
});

describe('the dashboard Durable Object through a Postgres outage', () => {
  it(
    'tells a client that connects while Postgres is down to retry ' +
      '(never permission denied), and syncs it once Postgres is back',
    async () => {
      // A Postgres of this test's own, stopped and started again on the same port.
      // Under /tmp itself: the postgres user must be able to reach it.
      const dataDir = await mkdtemp(join(tmpdir(), 'baton-do-outage-'));
      const port = await freePort();
      let postgres: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, logger: silentLogger, port });
      const db = createDatabase({ url: postgres.url, poolMax: 2, logger: silentLogger });
      let edge: WorkerdWorker | undefined;
      const made: RealtimeClient[] = [];
      try {
        await migrateToLatest(db);
        const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: postgres.url }));
        const owner = await bootstrapToken(ctx, { email: 'outage@example.com', workspaceName: 'Outage' });
        const id = (
          await createDashboard(
            ctx,
            sessionPrincipal(owner.user.id),
            owner.workspace?.id ?? '',
            { name: 'Outage' },
            'setup',
          )
        ).id;
        await db.destroy();
        edge = await startBatonWorker({
          bundle: join(outDir, 'worker.js'),
          databaseUrl: postgres.url,
          publicUrl: node.config.http.publicUrl,
          dashboardsDir: await mkdtemp(join(outDir, 'objects-')),
        });
        await postgres.stop();
        const during = connectClient(edge.url, id, { token: owner.secret, reconnectForever: true });
        made.push(during);
        await eventually(() => during.closes().some((c) => c.code === 4503), 15_000, 'a retryable close');
        expect(during.refused()).toBeUndefined();
        postgres = await startEmbeddedPostgres({ dataDir, logger: silentLogger, port });
        await eventually(() => during.provider.isSynced, 20_000, 'the client syncs once Postgres is back');
        expect(during.refused()).toBeUndefined();
      } finally {
        for (const client of made) client.destroy();
        await edge?.dispose();
        await db.destroy().catch(() => undefined);
        await postgres.stop();
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  );
});
