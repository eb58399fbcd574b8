import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestMigration } from '../../src/adapters/postgres/schema-level.ts';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { type WorkerdWorker, buildWorkerBundle, startBatonWorker } from '../support/workerd.ts';

// The Baton Worker as it is deployed: the bundle `npm run build:cloudflare` writes (the real script,
// run as a process), in workerd with deploy/cloudflare/wrangler.toml's date and flags, Postgres
// through a Hyperdrive binding (Miniflare's local proxy to a real database) and a queue binding.
// A Node Baton on the same database is the reference: both runtimes must answer alike.
let database: TestDatabase;
let node: TestApp;
let worker: WorkerdWorker;
let outDir: string;
let buildOutput: string;
let token: string;
let userId: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-worker-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  node = await startTestApp(database.url);
  buildOutput = await built;
  // No DASHBOARDS binding: a deployment without it must say so clearly (a test below).
  worker = await startBatonWorker({
    bundle: join(outDir, 'worker.js'),
    databaseUrl: database.url,
    publicUrl: node.config.http.publicUrl,
    dashboards: false,
  });
  const created = await bootstrapToken(node.ctx, { email: 'worker-user@example.com' });
  token = created.secret;
  userId = created.user.id;
});

afterAll(async () => {
  await worker?.dispose();
  await node?.close().catch(() => undefined);
  await database?.drop();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

const auth = (init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string> | undefined) },
});
const json = { 'content-type': 'application/json' };

describe('the Baton Worker in workerd', () => {
  it('is built by the build script, which reports its size', async () => {
    const size = (await stat(join(outDir, 'worker.js'))).size;
    expect(buildOutput).toMatch(new RegExp(`worker\\.js: ${size} bytes \\([0-9.]+ KiB\\), [0-9]+ bytes gzip`));
  });

  it('answers /healthz', async () => {
    const res = await worker.fetch('/healthz');
    expect(res.status).toBe(200);
  });

  it('reports the database as ready on /readyz, and not ready while it lacks the newest migration', async () => {
    const res = await worker.fetch('/readyz');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true } },
    });
    // As if this deployment were ahead of its database (migrations run before a deploy).
    const applied = await sql<{
      name: string;
      timestamp: string;
    }>`delete from kysely_migration where name = ${latestMigration} returning name, timestamp`.execute(node.db);
    try {
      const behind = await worker.fetch('/readyz');
      expect(behind.status).toBe(503);
      expect(await behind.json()).toMatchObject({
        error: {
          code: 'not_ready',
          details: { checks: { migrations: { ok: false, reason: expect.stringContaining(latestMigration) } } },
        },
      });
    } finally {
      for (const row of applied.rows)
        await sql`insert into kysely_migration (name, timestamp) values (${row.name}, ${row.timestamp})`.execute(
          node.db,
        );
    }
  });

  it('authenticates a token minted on Node as the same user (one auth on both runtimes)', async () => {
    const [fromNode, fromWorker] = await Promise.all([
      fetch(`${node.url}/v1/me`, auth()),
      worker.fetch('/v1/me', auth()),
    ]);
    expect([fromNode.status, fromWorker.status]).toEqual([200, 200]);
    const me = (await fromWorker.json()) as { user: { id: string }; authentication: { via: string } };
    expect(me).toEqual(await fromNode.json());
    expect(me.user.id).toBe(userId);
    expect(me.authentication.via).toBe('token');
  });

  it('refuses a bad token like Node does', async () => {
    const init = { headers: { authorization: 'Bearer btn_nope', 'x-request-id': 'same-request-1' } };
    const [fromNode, fromWorker] = await Promise.all([fetch(`${node.url}/v1/me`, init), worker.fetch('/v1/me', init)]);
    expect(fromWorker.status).toBe(401);
    expect(await fromWorker.json()).toEqual(await fromNode.json());
  });

  it('creates a workspace and lists it, in the shared database', async () => {
    const created = await worker.fetch(
      '/v1/workspaces',
      auth({ method: 'POST', headers: json, body: JSON.stringify({ name: 'made on the edge' }) }),
    );
    expect(created.status).toBe(201);
    const workspace = (await created.json()) as { id: string; name: string };
    expect(workspace.name).toBe('made on the edge');
    const listed = (await (await worker.fetch('/v1/workspaces', auth())).json()) as {
      workspaces: Array<{ id: string; name: string }>;
    };
    expect(listed.workspaces.map((w) => w.id)).toContain(workspace.id);
    const onNode = (await (await fetch(`${node.url}/v1/workspaces`, auth())).json()) as {
      workspaces: Array<{ id: string }>;
    };
    expect(onNode.workspaces.map((w) => w.id)).toContain(workspace.id);
  });

  it('answers a bad body with the same 400 as Node', async () => {
    for (const body of [JSON.stringify({ name: '' }), JSON.stringify({ nom: 'x' }), '{"name":']) {
      const init = auth({ method: 'POST', headers: { ...json, 'x-request-id': 'same-request-2' }, body });
      const [fromNode, fromWorker] = await Promise.all([
        fetch(`${node.url}/v1/workspaces`, init),
        worker.fetch('/v1/workspaces', init),
      ]);
      expect(fromWorker.status).toBe(400);
      expect({ status: fromWorker.status, body: await fromWorker.json() }).toEqual({
        status: fromNode.status,
        body: await fromNode.json(),
      });
    }
  });

  it('serves the same OpenAPI document as Node', async () => {
    const [fromNode, fromWorker] = await Promise.all([
      fetch(`${node.url}/openapi.json`),
      worker.fetch('/openapi.json'),
    ]);
    expect([fromNode.status, fromWorker.status]).toEqual([200, 200]);
    expect(await fromWorker.json()).toEqual(await fromNode.json());
  });

  it('says clearly that live dashboards are unavailable when a deployment has no DASHBOARDS binding', async () => {
    const workspace = (await (
      await fetch(
        `${node.url}/v1/workspaces`,
        auth({ method: 'POST', headers: json, body: JSON.stringify({ name: 'with a dashboard' }) }),
      )
    ).json()) as { id: string };
    const dashboard = (await (
      await fetch(
        `${node.url}/v1/workspaces/${workspace.id}/dashboards`,
        auth({ method: 'POST', headers: json, body: JSON.stringify({ name: 'board' }) }),
      )
    ).json()) as { id: string };
    expect(dashboard.id).toBeTypeOf('string');
    const res = await worker.fetch(`/v1/dashboards/${dashboard.id}/presence`, auth());
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('not_configured');
    expect(body.error.message).toMatch(/Durable Object/);
  });

  it('answers 503 naming the part when the sandbox provider cannot run in a Worker (local), never 500', async () => {
    const workspace = (await (
      await worker.fetch(
        '/v1/workspaces',
        auth({ method: 'POST', headers: json, body: JSON.stringify({ name: 'recipes' }) }),
      )
    ).json()) as { id: string };
    const res = await worker.fetch(`/v1/workspaces/${workspace.id}/schedules`, auth());
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'not_configured',
      message: 'Schedules are not managed in this process',
    });
  });

  it('relays committed jobs from the outbox to the queue on the cron tick', async () => {
    // Node relays the same outbox every second: stop it, so only the Worker can move the row.
    await node.close();
    const db = createDatabase({ url: database.url, poolMax: 1, logger: silentLogger });
    try {
      await sql`insert into job_outbox (topic, data) values ('test.cron', ${JSON.stringify({ n: 1 })}::jsonb)`.execute(
        db,
      );
      const waiting = async () =>
        Number((await sql<{ n: string }>`select count(*) as n from job_outbox`.execute(db)).rows[0]?.n);
      expect(await waiting()).toBe(1);
      // Miniflare's types for the Worker handle need @cloudflare/workers-types; this is its scheduled().
      const handle = (await worker.miniflare.getWorker()) as unknown as {
        scheduled(options: { cron: string }): Promise<{ outcome: string }>;
      };
      const result = await handle.scheduled({ cron: '* * * * *' });
      expect(result.outcome).toBe('ok');
      expect(await waiting()).toBe(0);
    } finally {
      await db.destroy();
    }
  });
});
