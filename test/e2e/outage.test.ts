import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/adapters/postgres/embedded-postgres.ts';
import { migrateToLatest } from '../../src/adapters/postgres/migrator.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { sandboxLedger } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';
import { postgresProcessesFor, startSandboxProcess, startServerProcess, type Spawned } from '../support/processes.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * A Postgres outage under load: two servers run as their own processes on a Postgres this test owns
 * (an embedded cluster under a temporary directory), executions with agent steps and waits run on
 * the local execution plane (its own process, whose ledger counts every run it started), and a
 * browser client types into a dashboard. Postgres is stopped for 10 s and started again on the
 * same port. The same server processes must live through it, say 503 while the database is gone,
 * and afterwards finish every execution (each run started once) and hold every acknowledged edit.
 */
let dataDir: string;
let postgres: EmbeddedPostgres;
let postgresPort: number;
let db: Database;
let port: number;
let server: Spawned | undefined;
/** A second instance on the same Postgres, as in production behind a load balancer. */
let second: Spawned | undefined;
let secondPort: number;
let plane: (Spawned & { url: string }) | undefined;
let token: string;
let workspaceId: string;
let dashboardId: string;
let recipeId: string;
const clients: RealtimeClient[] = [];

const retry = '{ maxAttempts: 8, backoff: { initial: 200ms, factor: 2, max: 2s } }';
const recipe = `
name: outage
steps:
  - { id: plan, kind: agent, profile: coder, prompt: plan, input: { duration: 400 }, timeout: 60s, retry: ${retry} }
  - { id: nap, kind: wait, for: 3s }
  - { id: build, kind: agent, profile: coder, prompt: build, input: { duration: 400 }, timeout: 60s, retry: ${retry} }
  - { id: check, kind: agent, profile: coder, prompt: check, input: { duration: 300, output: { ok: true } }, timeout: \
60s, retry: ${retry} }
`;

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(15_000),
  });
  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as Record<string, unknown> & { id?: string; status?: string; error?: { code: string } },
  };
}

async function readyz(at = port): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${at}/readyz`, { signal: AbortSignal.timeout(5_000) })).status;
  } catch {
    return 0;
  }
}

function client(): RealtimeClient {
  const made = connectClient(`http://127.0.0.1:${port}`, dashboardId, { token, reconnectForever: true });
  clients.push(made);
  return made;
}

/**
 * Appends numbered entries; an entry counts as acknowledged once the provider has
 * nothing unsynced after it was written.
 */
function writer(name: string, target: RealtimeClient) {
  let written = 0;
  const acked = new Set<string>();
  target.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    if (number !== 0) return;
    for (let i = 0; i < written; i++) acked.add(`${name}-${i}`);
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    start() {
      timer = setInterval(() => target.doc.getArray<string>(`log-${name}`).push([`${name}-${written++}`]), 25);
    },
    stop: () => clearInterval(timer),
    acked: () => [...acked],
  };
}

async function startServer(at = port): Promise<Spawned> {
  return startServerProcess(postgres.url, at, {
    BATON_DATA_DIR: join(dataDir, `server-${at}`),
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_PROVIDER: 'http',
    BATON_SANDBOX_URL: plane?.url ?? '',
    BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
    BATON_REAPER_INTERVAL_SECONDS: '1',
    BATON_SANDBOX_MAX_PER_WORKSPACE: '50',
  });
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'baton-outage-'));
  // Postgres runs as its own user when we are root: it must be able to pass through.
  await chmod(dataDir, 0o755);
  postgres = await startEmbeddedPostgres({ dataDir: join(dataDir, 'db'), logger: silentLogger });
  postgresPort = Number(new URL(postgres.url).port);
  db = createDatabase({ url: postgres.url, poolMax: 2, logger: silentLogger });
  await migrateToLatest(db);
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: postgres.url }));
  const made = await bootstrapToken(ctx, { email: 'outage@example.com', workspaceName: 'Outage' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (await createDashboard(ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Outage' }, 'setup'))
    .id;
  port = await freePort();
  secondPort = await freePort();
  while (secondPort === port) secondPort = await freePort();
  plane = await startSandboxProcess(await freePort(), join(dataDir, 'plane'));
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const proc of [server, second])
    if (proc !== undefined && proc.child.exitCode === null) proc.child.kill('SIGKILL');
  if (plane !== undefined && plane.child.exitCode === null) plane.child.kill('SIGKILL');
  await db?.destroy();
  await postgres?.stop().catch(() => undefined);
  for (const pid of postgresProcessesFor(dataDir))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  await rm(dataDir, { recursive: true, force: true });
});

describe('a Postgres outage under load', () => {
  it(
    'keeps both processes up, answers 503 meanwhile, and ' +
      'afterwards finishes all work and keeps every acknowledged edit',
    async () => {
      server = await startServer();
      second = await startServer(secondPort);
      const pids = [server.child.pid, second.child.pid];
      expect(
        (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
      ).toBe(201);
      recipeId = (await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: recipe })).body.id as string;
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const started = await api(
          'POST',
          `/v1/recipes/${recipeId}/executions`,
          { dashboardId },
          { 'idempotency-key': `before-${i}` },
        );
        expect(started.status).toBe(201);
        ids.push(started.body.id as string);
      }

      const editor = client();
      await eventually(() => editor.provider.isSynced, 10_000, 'editor synced');
      const typing = writer('e', editor);
      typing.start();
      // Readers keep the pool's connections busy, so the stop lands on connections in use.
      let reading = true;
      const readers = Array.from({ length: 6 }, async (_, i) => {
        while (reading) {
          await api('GET', `/v1/executions/${ids[i % ids.length]}/events`).catch(() => undefined);
        }
      });
      await new Promise((resolve) => setTimeout(resolve, 1_500));

      // Postgres goes away (a restart, a failover) with executions in flight and someone typing.
      await postgres.stop();
      const stoppedAt = Date.now();
      await eventually(
        async () => {
          for (const proc of [server, second])
            if (proc?.child.exitCode !== null)
              throw new Error(`a server exited with ${String(proc?.child.exitCode)}:\n${proc?.output().slice(-3000)}`);
          return (await readyz()) === 503 && (await readyz(secondPort)) === 503;
        },
        8_000,
        '/readyz 503 during the outage',
      );
      const during = await api('GET', `/v1/executions/${ids[0]}`);
      expect(during.status).toBe(503);
      expect(during.body.error?.code).toBe('unavailable');
      expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
      // Starting work during the outage is refused as retryable; the same key is retried afterwards.
      const refused = await api(
        'POST',
        `/v1/recipes/${recipeId}/executions`,
        { dashboardId },
        { 'idempotency-key': 'during' },
      );
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, stoppedAt + 10_000 - Date.now())));
      expect(server?.child.exitCode, server?.output().slice(-3000)).toBeNull();
      expect(second?.child.exitCode, second?.output().slice(-3000)).toBeNull();
      reading = false;
      await Promise.all(readers);

      postgres = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'db'),
        logger: silentLogger,
        port: postgresPort,
      });
      await eventually(
        async () => (await readyz()) === 200 && (await readyz(secondPort)) === 200,
        30_000,
        '/readyz 200 after the outage, on both',
      );
      const retried = await api(
        'POST',
        `/v1/recipes/${recipeId}/executions`,
        { dashboardId },
        { 'idempotency-key': 'during' },
      );
      expect(retried.status).toBe(201);
      ids.push(retried.body.id as string);
      const again = await api(
        'POST',
        `/v1/recipes/${recipeId}/executions`,
        { dashboardId },
        { 'idempotency-key': 'during' },
      );
      expect(again.body.id).toBe(retried.body.id);

      await eventually(
        async () => {
          for (const id of ids)
            if ((await api('GET', `/v1/executions/${id}`)).body.status !== 'succeeded') return undefined;
          return true;
        },
        90_000,
        'every execution succeeded',
      ).catch(async (error: unknown) => {
        for (const id of ids)
          console.log('DEBUG', id, JSON.stringify((await api('GET', `/v1/executions/${id}`)).body).slice(0, 1200));
        console.log('DEBUG server', server?.output().slice(-6000), second?.output().slice(-3000));
        throw error;
      });
      expect([server?.child.pid, second?.child.pid]).toEqual(pids);
      expect([server?.child.exitCode, second?.child.exitCode]).toEqual([null, null]);
      expect(await db.selectFrom('executions').select('id').execute()).toHaveLength(ids.length);

      await expectOneRunPerStep(ids);
      await expectAcknowledgedEditsStored(editor, typing, 'e');
    },
  );

  it('recovers from Postgres stopped again and again under load, each step run once', async () => {
    const pids = [server?.child.pid, second?.child.pid];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const started = await api(
        'POST',
        `/v1/recipes/${recipeId}/executions`,
        { dashboardId },
        { 'idempotency-key': `flapping-${i}` },
      );
      expect(started.status).toBe(201);
      ids.push(started.body.id as string);
    }
    const editor = client();
    await eventually(() => editor.provider.isSynced, 10_000, 'editor synced');
    const typing = writer('f', editor);
    typing.start();
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await postgres.stop();
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      postgres = await startEmbeddedPostgres({
        dataDir: join(dataDir, 'db'),
        logger: silentLogger,
        port: postgresPort,
      });
    }
    await eventually(
      async () => (await readyz()) === 200 && (await readyz(secondPort)) === 200,
      30_000,
      '/readyz 200 on both',
    );
    await eventually(
      async () => {
        for (const id of ids)
          if ((await api('GET', `/v1/executions/${id}`)).body.status !== 'succeeded') return undefined;
        return true;
      },
      90_000,
      'every execution succeeded',
    );
    expect([server?.child.pid, second?.child.pid]).toEqual(pids);
    expect([server?.child.exitCode, second?.child.exitCode]).toEqual([null, null]);
    await expectOneRunPerStep(ids);
    await expectAcknowledgedEditsStored(editor, typing, 'f');
  });
});

/** The plane's ledger: each step of these executions was run once (no second attempt, no key twice). */
async function expectOneRunPerStep(ids: readonly string[]): Promise<void> {
  const runs = await sandboxLedger(plane?.url ?? '');
  const keys = runs.map((r) => r.idempotencyKey).filter((k) => ids.some((id) => k.startsWith(id)));
  expect(new Set(keys).size).toBe(keys.length);
  // Keys are `<execution>/<step>/<attempt>`: one run per step, so no step needed a second attempt
  // (a sandbox taken for lost because its heartbeats could not be stored would cause one).
  const steps = keys.map((k) => k.split('/').slice(0, 2).join('/'));
  expect(steps.length, JSON.stringify(keys)).toBe(ids.length * 3);
  expect(new Set(steps).size).toBe(steps.length);
  const sessions = await db
    .selectFrom('sessions')
    .select(['epoch', 'ended_reason', 'execution_id'])
    .where('execution_id', 'in', [...ids])
    .execute();
  expect(
    sessions.filter((row) => row.epoch !== 1),
    JSON.stringify(sessions),
  ).toEqual([]);
}

/** Every edit the client saw acknowledged is in Postgres: a SIGKILL now, and a fresh start reads them back. */
async function expectAcknowledgedEditsStored(
  editor: RealtimeClient,
  typing: ReturnType<typeof writer>,
  name: string,
): Promise<void> {
  typing.stop();
  await eventually(() => editor.provider.unsyncedChanges === 0, 20_000, 'the editor caught up');
  const acknowledged = typing.acked();
  expect(acknowledged.length).toBeGreaterThan(50);
  editor.provider.configuration.websocketProvider.disconnect();
  server?.child.kill('SIGKILL');
  await server?.exited;
  server = await startServer();
  const fresh = client();
  await eventually(() => fresh.provider.isSynced, 10_000, 'fresh client synced');
  const stored = new Set(fresh.doc.getArray<string>(`log-${name}`).toArray());
  const lost = acknowledged.filter((entry) => !stored.has(entry));
  expect(lost, `${lost.length} of ${acknowledged.length} acknowledged edits lost`).toEqual([]);
  expect(Y.encodeStateAsUpdate(fresh.doc).length).toBeGreaterThan(0);
  fresh.destroy();
}
