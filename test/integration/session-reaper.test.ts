import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient } from '../support/realtime-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** Real time plus an offset the test moves forward: the reaper sees minutes pass in an instant. */
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
const minutes = (n: number) => (clock.offsetMs += n * 60_000);

let database: TestDatabase;
let baton: TestApp;
let token: string;
let workspaceId: string;
let userId: string;

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${baton.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: res.status === 204 ? undefined : await res.json() };
}
const sessionRow = (id: string) =>
  baton.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

beforeAll(async () => {
  database = await createTestDatabase();
  // Hour-long heartbeats: the clock jumps must not look like lost sandboxes. The reaper looks every second.
  baton = await startTestApp(
    database.url,
    {
      BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
      BATON_SANDBOX_HEARTBEAT_SECONDS: '3600',
      BATON_REAPER_INTERVAL_SECONDS: '1',
      BATON_SANDBOX_IDLE_MINUTES: '10',
      BATON_SANDBOX_MAX_LIFETIME_MINUTES: '600',
    },
    { clock },
  );
  const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Reaper' });
  token = made.secret;
  userId = made.user.id;
  workspaceId = made.workspace?.id ?? '';
  expect(
    (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

describe('the session reaper', () => {
  it('keeps a terminal alive while someone looks at its dashboard, and stops it once it idled out', async () => {
    const dashboardId = (
      await createDashboard(baton.ctx, sessionPrincipal(userId), workspaceId, { name: 'T' }, 'setup')
    ).id;
    const opened = await api('POST', `/v1/dashboards/${dashboardId}/terminals`);
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const id = opened.body.session.id as string;
    const viewer = connectClient(baton.url, dashboardId, { token });
    await eventually(() => (viewer.authenticated() ? true : undefined), 20_000, 'viewer connected');
    minutes(11);
    // Several passes of the reaper with a viewer present: the session stays, refreshed.
    await eventually(
      async () => ((await sessionRow(id)).last_active_at.getTime() > clock.now().getTime() - 60_000 ? true : undefined),
      20_000,
      'session refreshed',
    );
    expect((await sessionRow(id)).status).toMatch(/ready|idle/);
    viewer.destroy();
    await eventually(
      async () => ((await baton.ctx.realtime.presence(dashboardId)).length === 0 ? true : undefined),
      20_000,
      'viewer gone',
    );
    minutes(11);
    const ended = await eventually(
      async () => {
        const row = await sessionRow(id);
        return row.status === 'ended' ? row : undefined;
      },
      20_000,
      'session stopped',
    );
    expect(ended?.ended_reason).toBe('idle');
    const plane = (await (await fetch(`${baton.sandboxUrl}/v1/sandboxes/${ended?.sandbox_id}`)).json()) as {
      error?: unknown;
    };
    expect(plane.error).toBeDefined();
  });

  it("stops an execution's sandbox while it waits for a human, and creates a new one when work resumes", async () => {
    const dashboardId = (
      await createDashboard(baton.ctx, sessionPrincipal(userId), workspaceId, { name: 'E' }, 'setup')
    ).id;
    const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml:
        'name: gate\nsteps:\n  - { id: a, kind: agent, profile: coder, prompt: before }\n  - { id: ok, ' +
        'kind: approval, prompt: go on? }\n  - { id: b, kind: agent, profile: coder, prompt: after }\n',
    });
    expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
    const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const executionId = started.body.id as string;
    await eventually(
      async () =>
        (await api('GET', `/v1/executions/${executionId}`)).body.steps.ok?.status === 'waiting' ? true : undefined,
      10_000,
      'waiting for approval',
    );
    const session = await baton.db
      .selectFrom('sessions')
      .selectAll()
      .where('execution_id', '=', executionId)
      .executeTakeFirstOrThrow();
    expect(session.epoch).toBe(1);
    minutes(11);
    await eventually(
      async () => ((await sessionRow(session.id)).status === 'ended' ? true : undefined),
      20_000,
      'sandbox stopped while waiting',
    );
    expect((await api('POST', `/v1/executions/${executionId}/steps/ok/approve`, {})).status).toBe(200);
    await eventually(
      async () => ((await api('GET', `/v1/executions/${executionId}`)).body.status === 'succeeded' ? true : undefined),
      10_000,
      'execution finished',
    );
    expect(await sessionRow(session.id)).toMatchObject({ epoch: 2 });
  });
});
