import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionStore } from '../../src/adapters/postgres/session-store.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// An instance that began creating an execution's sandbox and died leaves the session "provisioning".
// The next instance to need it must not wait a whole provision timeout from now (its job would sit
// there for minutes): once the provisioning is older than the timeout, it fails it and starts a new
// sandbox at once, without waiting for a reaper (which practically never runs here).

let database: TestDatabase;
let baton: TestApp;
let secret: string;
let workspaceId: string;
let dashboardId: string;

const api = (method: string, path: string, body?: unknown) => callApi(baton.url, method, path, secret, body);

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_REAPER_INTERVAL_SECONDS: '3600',
    BATON_SANDBOX_PROVISION_TIMEOUT_SECONDS: '60',
  });
  const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Overdue' });
  secret = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Work' }, 'setup')
  ).id;
  expect(
    (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' })).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

describe('a provisioning left by a dead instance', () => {
  it(
    'is failed by the next instance that needs the sandbox ' + 'once it is overdue, and the step runs on a new one',
    async () => {
      const made = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml:
          'name: overdue\nsteps:\n  - { id: nap, kind: wait, for: 2s }\n  - { id: ' +
          'a, kind: agent, profile: coder, prompt: go, input: { duration: 20 } }\n',
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const started = await api('POST', `/v1/recipes/${made.body.id as string}/executions`, { dashboardId });
      expect(started.status).toBe(201);
      const executionId = started.body.id as string;
      // While the execution naps, "another instance" claims its sandbox and begins provisioning it,
      // ten minutes ago, then dies.
      const session = await beginDeadProvisioning(executionId);
      await setEpochStart(session.id, -10 * 60_000);

      // Well within the 60 s provision timeout counted from now, and with no reaper pass.
      const done = await eventually(
        async () => {
          const current = (await api('GET', `/v1/executions/${executionId}`)).body as { status: string };
          return current.status === 'succeeded' ? current : undefined;
        },
        30_000,
        'the execution succeeded',
      ).catch(async (e: unknown) => {
        console.log(
          'on failure:',
          JSON.stringify((await api('GET', `/v1/executions/${executionId}`)).body).slice(0, 1500),
          JSON.stringify(await baton.db.selectFrom('sessions').selectAll().execute()).slice(0, 1500),
        );
        throw e;
      });
      expect(done.status).toBe('succeeded');
      const row = await baton.db
        .selectFrom('sessions')
        .select(['epoch', 'status'])
        .where('id', '=', session.id)
        .executeTakeFirstOrThrow();
      expect(row.epoch).toBe(session.epoch + 1);
    },
  );
  it(
    'goes on with a new sandbox when the provisioning it ' + 'waits for fails meanwhile (it does not wait for itself)',
    async () => {
      const made = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml:
          'name: failed-meanwhile\nsteps:\n  - { id: nap, kind: wait, for: 1s }\n  - { ' +
          'id: a, kind: agent, profile: coder, prompt: go, input: { duration: 20 } }\n',
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const started = await api('POST', `/v1/recipes/${made.body.id as string}/executions`, { dashboardId });
      const executionId = started.body.id as string;
      // Another instance is creating the sandbox right now (not overdue): the step waits for it.
      const session = await beginDeadProvisioning(executionId);
      // It began so recently that the step waits for it rather than asking for the same sandbox itself.
      await setEpochStart(session.id, 60_000);
      await eventually(
        async () =>
          ((await api('GET', `/v1/executions/${executionId}`)).body as { steps: Record<string, { status: string }> })
            .steps.a?.status === 'running'
            ? true
            : undefined,
        20_000,
        'the agent step waits',
      );
      await new Promise((resolve) => setTimeout(resolve, 500));
      // Its provider gave up: the session failed.
      await baton.db
        .updateTable('sessions')
        .set({ status: 'failed', ended_at: new Date(), ended_reason: 'the provider refused' })
        .where('id', '=', session.id)
        .execute();
      await eventually(
        async () =>
          ((await api('GET', `/v1/executions/${executionId}`)).body as { status: string }).status === 'succeeded'
            ? true
            : undefined,
        30_000,
        'the execution succeeded',
      );
      const row = await baton.db
        .selectFrom('sessions')
        .select(['epoch'])
        .where('id', '=', session.id)
        .executeTakeFirstOrThrow();
      expect(row.epoch).toBe(session.epoch + 1);
    },
  );
  it('is taken over seconds after it began (the same epoch asked of the provider again); the step runs', async () => {
    // Its one attempt gets 20 s: waiting for the provisioning to be overdue (60 s) would time it out.
    const executionId = await startAfterNap('taken-over', 'timeout: 20s, retry: { maxAttempts: 1 }');
    const session = await beginDeadProvisioning(executionId);
    const done = await eventually(
      async () => {
        const current = (await api('GET', `/v1/executions/${executionId}`)).body as { status: string };
        return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
      },
      45_000,
      'the execution finished',
    );
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    const row = await baton.db
      .selectFrom('sessions')
      .select(['epoch'])
      .where('id', '=', session.id)
      .executeTakeFirstOrThrow();
    expect(row.epoch).toBe(session.epoch);
  });
  it('does not start attempts that ended while they waited for the sandbox', async () => {
    // Two attempts of 1.5 s time out while the sandbox is being made; the execution fails.
    const executionId = await startAfterNap('stale-attempts', 'timeout: 1500ms, retry: { maxAttempts: 2 }');
    const session = await beginDeadProvisioning(executionId);
    // Not due to be taken over while the attempts wait.
    await setEpochStart(session.id, 60_000);
    await eventually(
      async () => ((await api('GET', `/v1/executions/${executionId}`)).body.status === 'failed' ? true : undefined),
      30_000,
      'the execution failed',
    );
    // The failed execution lets its session go; the dispatches that waited get a sandbox after all
    // (a new epoch), and find their attempts over.
    await eventually(
      async () => {
        const row = await baton.db
          .selectFrom('sessions')
          .select(['epoch', 'status'])
          .where('id', '=', session.id)
          .executeTakeFirstOrThrow();
        return row.epoch > session.epoch && row.status === 'ready' ? true : undefined;
      },
      30_000,
      'the waiting dispatches got a sandbox',
    );
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const runs = await baton.db
      .selectFrom('sandbox_runs')
      .select(['run_key', 'status'])
      .where('execution_id', '=', executionId)
      .execute();
    expect(runs).toEqual([]);
  });
});

/** "Another instance" claims the execution's sandbox and begins provisioning it now, then dies. */
async function beginDeadProvisioning(executionId: string): Promise<{ id: string; epoch: number }> {
  const sessions = createSessionStore(baton.db, baton.ctx.credentials.sealer);
  const session = await sessions.ensure(
    { workspaceId, dashboardId, executionId, purpose: 'execution' },
    'secret-of-the-dead-instance',
  );
  const began = await sessions.beginProvisioning(
    session.id,
    { status: session.status, epoch: session.epoch },
    new Date(),
  );
  expect(began?.status).toBe('provisioning');
  return { id: session.id, epoch: began?.epoch ?? -1 };
}

/** Starts a recipe that naps for a second, then runs agent step `a` with these settings. */
async function startAfterNap(name: string, settings: string): Promise<string> {
  const made = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
    yaml:
      `name: ${name}\nsteps:\n  - { id: nap, kind: wait, for: 1s }\n` +
      `  - { id: a, kind: agent, profile: coder, prompt: go, input: { duration: 20 }, ${settings} }\n`,
  });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${made.body.id as string}/executions`, { dashboardId });
  expect(started.status).toBe(201);
  return started.body.id as string;
}

/** Moves when the session's current epoch began (its provisioning), by `offsetMs` from now. */
async function setEpochStart(sessionId: string, offsetMs: number): Promise<void> {
  await baton.db
    .updateTable('sessions')
    .set({ epoch_started_at: new Date(Date.now() + offsetMs) })
    .where('id', '=', sessionId)
    .execute();
}
