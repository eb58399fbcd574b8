import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startSandboxProcess, type Spawned } from '../support/processes.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * The execution plane dies under a running agent step (SIGKILL of its process) and comes back empty:
 * the session is lost when its heartbeats stop, the step runs again on a new sandbox and the
 * execution finishes; the progress reported before the kill is kept.
 */
let database: TestDatabase;
let baton: TestApp;
let plane: Spawned & { url: string };
let planePort: number;
let dataDir: string;
let token: string;
let workspaceId: string;
let dashboardId: string;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${baton.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'baton-plane-'));
  planePort = await freePort();
  plane = await startSandboxProcess(planePort, dataDir);
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_PROVIDER: 'http',
    BATON_SANDBOX_URL: plane.url,
    BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
    BATON_REAPER_INTERVAL_SECONDS: '1',
  });
  const made = await bootstrapToken(baton.ctx, { email: 'kill@example.com', workspaceName: 'Kill' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Kill' }, 'setup')
  ).id;
});
afterAll(async () => {
  if (plane.child.exitCode === null) plane.child.kill('SIGKILL');
  await baton.close();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a sandbox process killed mid-step', () => {
  it('finishes the step on a new sandbox and keeps what the lost one reported', async () => {
    expect(
      (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
    ).toBe(201);
    // Reports four seconds apart (at 4 s and 8 s, the end at 12 s): the kill lands after the first
    // report and before the second however slowly a loaded machine relays the first.
    const yaml =
      'name: long\nsteps:\n  - { id: a, kind: agent, profile: coder, prompt: work, input: { duration: 12000, ' +
      'progress: [{ message: "cloned", percent: 25 }, { message: "tested", percent: 50 }], ' +
      'output: { summary: "done" } } }\n';
    const recipeId = (await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml })).body.id as string;
    const id = (await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId })).body.id as string;
    const runs = () =>
      baton.db.selectFrom('sandbox_runs').selectAll().where('execution_id', '=', id).orderBy('attempt').execute();
    await eventually(
      async () => {
        const progress = (await runs())[0]?.progress;
        return typeof progress === 'object' && progress !== null ? true : undefined;
      },
      30_000,
      'progress reported',
    );
    plane.child.kill('SIGKILL');
    await plane.exited;
    plane = await startSandboxProcess(planePort, dataDir);

    const done = (await eventually(
      async () => {
        const ex = (await api('GET', `/v1/executions/${id}`)).body as unknown as {
          status: string;
          steps: Record<string, { attempt: number; output: unknown }>;
        };
        return ex.status === 'succeeded' ? ex : undefined;
      },
      90_000,
      'the execution succeeded',
    )) as { steps: Record<string, unknown> };
    expect(done.steps.a).toMatchObject({ attempt: 2, output: { summary: 'done' } });
    // The engine hears of the result before the run is recorded as ended (by design: a crash in
    // between leaves the run open, to be reported again), so the record may trail a moment.
    const [lost, second] = await eventually(
      async () => {
        const both = await runs();
        return both[1]?.status === 'succeeded' ? both : undefined;
      },
      30_000,
      'the second run recorded as ended',
    );
    expect(lost).toMatchObject({ attempt: 1, status: 'lost', epoch: 1 });
    expect(lost?.progress).toMatchObject({ message: 'cloned', percent: 25 });
    // On a new sandbox: a later epoch of the session. Not necessarily the next one: while the plane
    // restarts (slowly, on a loaded machine) a sandbox asked of it may fail before the step runs.
    expect(second).toMatchObject({ attempt: 2, status: 'succeeded' });
    expect(second?.epoch).toBeGreaterThan(lost?.epoch ?? Infinity);
    const events = await baton.db
      .selectFrom('sandbox_events')
      .select(['type', 'run_key'])
      .where('run_key', '=', `${id}/a/1`)
      .execute();
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['run.started', 'run.progress']));
    const ledger = await sandboxLedger(plane.url);
    expect(
      ledger
        .filter((r) => r.idempotencyKey.startsWith(id))
        .map((r) => r.idempotencyKey)
        .sort(),
    ).toEqual([`${id}/a/1`, `${id}/a/2`]);
  });
});
