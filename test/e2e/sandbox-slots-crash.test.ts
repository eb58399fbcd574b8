import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/postgres/embedded-postgres.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startSandboxProcess, startServerProcess, type Spawned } from '../support/processes.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * Steps queue for two sandbox slots while the server is killed with SIGKILL in the middle of handing
 * slots on. After the restart the queue goes on: every execution succeeds, each run key was started
 * once (the plane, its own process, keeps the ledger), and nothing is left waiting.
 */
let database: TestDatabase;
let db: Database;
let dataDir: string;
let port: number;
let server: Spawned | undefined;
let plane: (Spawned & { url: string }) | undefined;
let token: string;
let workspaceId: string;
let dashboardId: string;

async function startServer(): Promise<void> {
  server = await startServerProcess(database.url, port, {
    BATON_DATA_DIR: dataDir,
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_PROVIDER: 'http',
    BATON_SANDBOX_URL: plane?.url ?? '',
    BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
    BATON_REAPER_INTERVAL_SECONDS: '1',
    BATON_SANDBOX_PROVISION_TIMEOUT_SECONDS: '3',
    BATON_SANDBOX_MAX_PER_WORKSPACE: '2',
  });
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { id?: string; status?: string } };
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'baton-slots-'));
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  const made = await bootstrapToken(ctx, { email: 'slots@example.com', workspaceName: 'Slots' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (await createDashboard(ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Slots' }, 'setup')).id;
  port = await freePort();
  plane = await startSandboxProcess(await freePort(), join(dataDir, 'plane'));
});
afterAll(async () => {
  if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
  if (plane !== undefined && plane.child.exitCode === null) plane.child.kill('SIGKILL');
  await db.destroy();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the sandbox slot queue under SIGKILL', () => {
  it('starts every waiting step once after the server dies while handing slots on', async () => {
    await startServer();
    expect((await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' })).status).toBe(201);
    const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: 'name: q\nsteps:\n  - { id: a, kind: agent, profile: coder, prompt: q, input: { duration: 300 } }\n' });
    expect(recipe.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId });
      expect(started.status).toBe(201);
      ids.push(started.body.id ?? '');
    }
    const finished = async () => Number((await sql<{ n: string }>`select count(*) as n from sandbox_runs where status = 'succeeded' and execution_id = any(${ids}::uuid[])`.execute(db)).rows[0]?.n ?? 0);
    // Killed while the queue is busy: some steps have run, some are starting, the rest wait.
    await eventually(async () => ((await finished()) >= 4 ? true : undefined), 60_000, 'a few steps ran');
    server?.child.kill('SIGKILL');
    await server?.exited;
    await startServer();
    for (const id of ids) await eventually(async () => ((await api('GET', `/v1/executions/${id}`)).body.status === 'succeeded' ? true : undefined), 90_000, `execution ${id} succeeded`);
    const started = (await sandboxLedger(plane?.url ?? '')).map((r) => r.idempotencyKey);
    for (const id of ids) expect(started.filter((key) => key.startsWith(`${id}/`)), `runs of ${id}`).toEqual([`${id}/a/1`]);
    await eventually(async () => (Number((await sql<{ n: string }>`select count(*) as n from sandbox_slot_waiters`.execute(db)).rows[0]?.n) === 0 ? true : undefined), 10_000, 'nothing left waiting');
  }, 240_000);
});
