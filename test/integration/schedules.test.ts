import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let database: TestDatabase;
let baton: TestApp;
let owner: string;
let viewer: string;
let outsider: string;
let workspaceId: string;
let dashboardId: string;
let gated: string;
let quick: string;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);
type Fire = { fireAt: string; outcome: string; executionId: string | null; reason: string | null };
const firesOf = async (id: string): Promise<Fire[]> =>
  ((await api('GET', `/v1/schedules/${id}/fires?limit=200`, owner)).body.fires as Fire[]).reverse();
const statusOf = async (executionId: string) =>
  (await api('GET', `/v1/executions/${executionId}`, owner)).body.status as string;

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Schedules' });
  owner = made.secret;
  workspaceId = made.workspace?.id ?? '';
  const v = await bootstrapToken(baton.ctx, { email: 'viewer@example.com' });
  viewer = v.secret;
  outsider = (await bootstrapToken(baton.ctx, { email: 'outsider@example.com', workspaceName: 'Elsewhere' })).secret;
  await setMember(
    baton.ctx,
    sessionPrincipal(made.user.id),
    workspaceId,
    { email: 'viewer@example.com', role: 'member' },
    'setup',
  );
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Nightly' }, 'setup')
  ).id;
  await setDashboardMember(
    baton.ctx,
    sessionPrincipal(made.user.id),
    dashboardId,
    v.user.id,
    { role: 'viewer' },
    'setup',
  );
  const recipe = async (yaml: string) =>
    (await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner, { yaml })).body.id as string;
  gated = await recipe(
    'name: gated\ninputs: { branch: { type: string } }\nsteps:\n  - ' +
      '{ id: gate, kind: approval, prompt: "ship ${inputs.branch}?" }\n',
  );
  quick = await recipe('name: quick\nsteps:\n  - { id: note, kind: notify, channel: dashboard, message: hello }\n');
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

const create = (body: Record<string, unknown>, token = owner) =>
  api('POST', `/v1/workspaces/${workspaceId}/schedules`, token, {
    name: 'every second',
    recipeId: quick,
    dashboardId,
    cron: '* * * * * *',
    ...body,
  });

describe('schedules', () => {
  it('refuses a bad cron, time zone, end or input with a 400 naming the field', async () => {
    const problems = async (body: Record<string, unknown>) => {
      const res = await create(body);
      expect(res.status).toBe(400);
      return (res.body.error.details.issues as Array<{ path: string }>).map((d) => d.path);
    };
    expect(await problems({ cron: '61 * * * *' })).toEqual(['cron']);
    expect(await problems({ cron: '* * *' })).toEqual(['cron']);
    expect(await problems({ cron: '0 0 31 2 *' })).toEqual(['cron']);
    expect(await problems({ timezone: 'Mars/Olympus_Mons' })).toEqual(['timezone']);
    expect(await problems({ endAt: '2001-01-01T00:00:00Z' })).toEqual(['endAt']);
    expect(await problems({ overlap: 'sometimes' })).toEqual(['overlap']);
    expect(await problems({ recipeId: gated, inputs: { branch: 7 } })).toEqual(['inputs.branch']);
    // An inherited property name is not a declared input either.
    expect(await problems({ recipeId: gated, inputs: { branch: 'main', constructor: 1 } })).toEqual([
      'inputs.constructor',
    ]);
  });

  it(
    'shows the next fire times in the time zone, across ' + 'a daylight-saving change; who may see and change it',
    async () => {
      const res = await create({
        name: 'nightly',
        cron: '30 2 * * *',
        timezone: 'Europe/Berlin',
        recipeId: gated,
        inputs: { branch: 'main' },
        paused: false,
      });
      expect(res.status).toBe(201);
      const next = res.body.nextFires as string[];
      expect(next).toHaveLength(5);
      // 02:30 in Berlin is 00:30 or 01:30 UTC depending on the season, always on consecutive days.
      for (const at of next) expect(['00:30', '01:30']).toContain(at.slice(11, 16));
      expect(new Set(next.map((at) => at.slice(0, 10))).size).toBe(5);
      const id = res.body.id as string;
      expect((await api('GET', `/v1/schedules/${id}`, viewer)).status).toBe(200);
      expect((await api('PATCH', `/v1/schedules/${id}`, viewer, { paused: true })).status).toBe(403);
      expect((await api('GET', `/v1/schedules/${id}`, outsider)).status).toBe(404);
      expect((await create({ name: 'mine' }, viewer)).status).toBe(403);
      const paused = await api('PATCH', `/v1/schedules/${id}`, owner, { paused: true });
      expect(paused.body).toMatchObject({ paused: true, nextFires: [] });
      expect((await api('PATCH', `/v1/schedules/${id}`, owner, {})).status).toBe(400);
      const listed = await api('GET', `/v1/workspaces/${workspaceId}/schedules`, viewer);
      expect(listed.body.schedules.map((s: { id: string }) => s.id)).toContain(id);
      expect((await api('DELETE', `/v1/schedules/${id}`, owner)).status).toBe(204);
      expect((await api('GET', `/v1/schedules/${id}`, owner)).status).toBe(404);
    },
  );

  it(
    'fires every due time once, starting the recipe with the ' +
      'inputs; pausing stops it and resuming does not make up',
    async () => {
      const res = await create({ overlap: 'allow' });
      const id = res.body.id as string;
      const started = await eventually(
        async () => {
          const fires = await firesOf(id);
          return fires.filter((f) => f.outcome === 'started').length >= 3 ? fires : undefined;
        },
        10_000,
        'three fires',
      );
      // One fire per second, consecutive, each with its own execution.
      const times = started.map((f) => Date.parse(f.fireAt));
      for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBe(1000);
      expect(new Set(started.map((f) => f.executionId)).size).toBe(started.length);
      const execution = (await api('GET', `/v1/executions/${started[0]?.executionId}`, owner)).body;
      expect(execution).toMatchObject({ recipeId: quick, dashboardId });
      await api('PATCH', `/v1/schedules/${id}`, owner, { paused: true });
      const count = (await firesOf(id)).length;
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect((await firesOf(id)).length).toBe(count);
      const resumedAt = Date.now();
      await api('PATCH', `/v1/schedules/${id}`, owner, { paused: false });
      const after = await eventually(
        async () => {
          const fires = await firesOf(id);
          return fires.length > count ? fires : undefined;
        },
        20_000,
        'a fire after resuming',
      );
      // Nothing from the paused time was made up.
      expect(after.slice(count).every((f) => Date.parse(f.fireAt) >= resumedAt - 1000)).toBe(true);
      await api('DELETE', `/v1/schedules/${id}`, owner);
    },
  );

  it('fires many schedules due at the same moment (more than the connection pool holds)', async () => {
    const ids = await Promise.all(
      Array.from(
        { length: 14 },
        async (_, i) => (await create({ name: `crowd ${i}`, overlap: 'allow' })).body.id as string,
      ),
    );
    for (const id of ids)
      await eventually(
        async () => ((await firesOf(id)).filter((f) => f.outcome === 'started').length >= 2 ? true : undefined),
        20_000,
        `two fires of ${id}`,
      );
    for (const id of ids) expect((await api('DELETE', `/v1/schedules/${id}`, owner)).status).toBe(204);
  });

  it('skips while the previous execution is unfinished (overlap: skip), and says why', async () => {
    const id = (await create({ recipeId: gated, inputs: { branch: 'main' }, overlap: 'skip' })).body.id as string;
    const fires = await eventually(
      async () => {
        const all = await firesOf(id);
        return all.some((f) => f.outcome === 'skipped') ? all : undefined;
      },
      10_000,
      'a skipped fire',
    );
    await api('PATCH', `/v1/schedules/${id}`, owner, { paused: true });
    expect(fires.filter((f) => f.outcome === 'started')).toHaveLength(1);
    expect(fires.find((f) => f.outcome === 'skipped')?.reason).toMatch(/previous execution .* still/);
  });

  it('starts again while the previous run only waits for a person (skip-while-working)', async () => {
    const id = (await create({ recipeId: gated, inputs: { branch: 'main' }, overlap: 'skip-while-working' })).body
      .id as string;
    const fires = await eventually(
      async () => {
        const all = await firesOf(id);
        return all.filter((f) => f.outcome === 'started').length >= 2 ? all : undefined;
      },
      10_000,
      'two started fires',
    );
    await api('PATCH', `/v1/schedules/${id}`, owner, { paused: true });
    expect(fires.filter((f) => f.outcome === 'skipped')).toHaveLength(0);
  });

  it('queues one fire behind the previous execution and starts it when that finishes (queue-one)', async () => {
    const id = (await create({ recipeId: gated, inputs: { branch: 'main' }, overlap: 'queue-one' })).body.id as string;
    const fires = await eventually(
      async () => {
        const all = await firesOf(id);
        return all.filter((f) => f.outcome === 'skipped').length >= 1 && all.some((f) => f.outcome === 'queued')
          ? all
          : undefined;
      },
      10_000,
      'a queued fire and a replaced one',
    );
    await api('PATCH', `/v1/schedules/${id}`, owner, { paused: true });
    const first = fires.find((f) => f.outcome === 'started')?.executionId ?? '';
    expect(fires.find((f) => f.outcome === 'skipped')?.reason).toMatch(/replaced by the newer fire/);
    const queued = (await firesOf(id)).find((f) => f.outcome === 'queued');
    expect((await api('POST', `/v1/executions/${first}/steps/gate/approve`, owner, {})).status).toBe(200);
    await eventually(
      async () => ((await statusOf(first)) === 'succeeded' ? true : undefined),
      20_000,
      'the first execution finished',
    );
    const startedLater = await eventually(
      async () => (await firesOf(id)).find((f) => f.fireAt === queued?.fireAt && f.outcome === 'started'),
      10_000,
      'the queued fire started',
    );
    expect(startedLater.reason).toBe('started when the previous execution finished');
    expect(startedLater.executionId).not.toBe(first);
  });

  it('cancels the previous execution and starts the new one (cancel-previous)', async () => {
    const id = (await create({ recipeId: gated, inputs: { branch: 'main' }, overlap: 'cancel-previous' })).body
      .id as string;
    const fires = await eventually(
      async () => {
        const all = await firesOf(id);
        return all.filter((f) => f.outcome === 'started').length >= 2 ? all : undefined;
      },
      10_000,
      'two started fires',
    );
    await api('PATCH', `/v1/schedules/${id}`, owner, { paused: true });
    const [first] = fires.filter((f) => f.outcome === 'started');
    const history = (await api('GET', `/v1/executions/${first?.executionId}`, owner)).body;
    expect(history).toMatchObject({ status: 'cancelled' });
    expect(history.reason).toMatch(/cancelled by schedule/);
  });
});
