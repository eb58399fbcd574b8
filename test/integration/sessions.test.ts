import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSessionStore } from '../../src/adapters/postgres/session-store.ts';
import { createDashboard, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { signCallback } from '../../src/app/sessions/callback-signature.ts';
import { stateDocumentName } from '../../src/app/realtime/document-name.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi, sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let database: TestDatabase;
let baton: TestApp;
let owner: { secret: string; userId: string };
let viewer: { secret: string; userId: string };
let workspaceId: string;
let dashboardId: string;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);

beforeAll(async () => {
  database = await createTestDatabase();
  // Heartbeats every second: a silent sandbox is lost after three, and the reaper looks every second.
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
    BATON_REAPER_INTERVAL_SECONDS: '1',
    BATON_SANDBOX_MAX_PER_WORKSPACE: '5',
  });
  const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Sandboxes' });
  owner = { secret: made.secret, userId: made.user.id };
  workspaceId = made.workspace?.id ?? '';
  const person = await bootstrapToken(baton.ctx, { email: 'viewer@example.com' });
  viewer = { secret: person.secret, userId: person.user.id };
  await setMember(
    baton.ctx,
    sessionPrincipal(owner.userId),
    workspaceId,
    { email: 'viewer@example.com', role: 'member' },
    'setup',
  );
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(owner.userId), workspaceId, { name: 'Work' }, 'setup')
  ).id;
  await setDashboardMember(
    baton.ctx,
    sessionPrincipal(owner.userId),
    dashboardId,
    viewer.userId,
    { role: 'viewer' },
    'setup',
  );
  expect(
    (
      await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
        name: 'coder',
        model: 'test-model',
      })
    ).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

async function run(steps: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, {
    yaml: `name: s\nsteps:\n${steps}`,
  });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, { dashboardId });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}
const execution = async (id: string) =>
  (await api('GET', `/v1/executions/${id}`, owner.secret)).body as {
    status: string;
    steps: Record<string, { status: string; attempt: number; output: unknown }>;
  };
const settled = async (id: string, status: string, timeoutMs = 20_000) => {
  const found = await eventually(
    async () => {
      const current = await execution(id);
      return current.status === status ? current : undefined;
    },
    timeoutMs,
    `execution ${status}`,
  );
  return found;
};
const sessionOf = async (executionId: string) => {
  const row = await baton.db
    .selectFrom('sessions')
    .selectAll()
    .where('execution_id', '=', executionId)
    .executeTakeFirst();
  return row;
};
const runsOf = (executionId: string) =>
  baton.db
    .selectFrom('sandbox_runs')
    .selectAll()
    .where('execution_id', '=', executionId)
    .orderBy('created_at')
    .execute();

describe('sessions and sandboxes', () => {
  it(
    'creates a sandbox for an execution on demand and reuses ' +
      'it for its later steps; stores progress and artifacts',
    async () => {
      const id =
        await run(`  - { id: a, kind: agent, profile: coder, prompt: one, input: { duration: 300, progress: [{ \
message: \
"reading", percent: 50, costUsd: 0.1 }], artifacts: [{ kind: link, title: "The PR", url: "https://example.com/pr/1" }] \
} }
  - { id: b, kind: agent, profile: coder, prompt: two }`);
      await settled(id, 'succeeded');
      const session = await sessionOf(id);
      expect(session).toMatchObject({ purpose: 'execution', epoch: 1 });
      // The engine may hear of a result before the run's row records its end (a loaded machine).
      const runs = await eventually(
        async () => {
          const rows = await runsOf(id);
          return rows.length === 2 && rows.every((r) => r.status !== 'running') ? rows : undefined;
        },
        20_000,
        'both runs recorded as ended',
      );
      expect(runs.map((r) => [r.step_id, r.status, r.session_id, r.epoch])).toEqual([
        ['a', 'succeeded', session?.id, 1],
        ['b', 'succeeded', session?.id, 1],
      ]);
      expect(runs[0]?.progress).toMatchObject({ message: 'reading', percent: 50 });
      expect(Number(runs[0]?.cost_usd)).toBeCloseTo(0.1);
      const artifacts = await baton.db.selectFrom('artifacts').selectAll().where('execution_id', '=', id).execute();
      expect(artifacts).toEqual([
        expect.objectContaining({ step_id: 'a', kind: 'link', title: 'The PR', url: 'https://example.com/pr/1' }),
      ]);
      const listed = await api('GET', `/v1/dashboards/${dashboardId}/sessions`, viewer.secret);
      expect(listed.status).toBe(200);
      expect(listed.body.sessions).toContainEqual(
        expect.objectContaining({ id: session?.id, executionId: id, purpose: 'execution' }),
      );
      // The finished execution's sandbox is let go.
      await eventually(
        async () => ((await sessionOf(id))?.status === 'ended' ? true : undefined),
        20_000,
        'session released',
      );
      expect((await sessionOf(id))?.ended_reason).toBe('its execution finished');
      // The dashboard shows the session, the run's progress and its artifact.
      const doc = await eventually(
        async () => {
          const d = new Y.Doc();
          Y.applyUpdate(d, await baton.ctx.realtime.state(stateDocumentName(dashboardId)));
          return d.getMap('artifacts').size > 0 &&
            (d.getMap('sessions').get(session?.id ?? '') as { status?: string } | undefined)?.status === 'ended'
            ? d
            : undefined;
        },
        20_000,
        'the dashboard shows it',
      );
      expect([...(doc?.getMap('artifacts').values() ?? [])]).toContainEqual(
        expect.objectContaining({
          executionId: id,
          stepId: 'a',
          kind: 'link',
          title: 'The PR',
          url: 'https://example.com/pr/1',
        }),
      );
      expect(doc?.getMap('progress').get(`${id}/a/1`)).toMatchObject({ message: 'reading', percent: 50 });
    },
  );

  it('cancels a run that reports more cost than its profile allows, and fails the step with the reason', async () => {
    expect(
      (
        await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
          name: 'frugal',
          model: 'm',
          policy: { maxCostUsd: 1 },
        })
      ).status,
    ).toBe(201);
    const id = await run(
      `  - { id: a, kind: agent, profile: frugal, prompt: spend, input: { duration: 2000, ` +
        `progress: [{ message: "cheap", costUsd: 0.5 }, { message: "pricey", costUsd: 1.5 }] } }`,
    );
    const failed = await settled(id, 'failed');
    expect(failed.steps.a).toMatchObject({ status: 'failed', attempt: 1 });
    expect(((await execution(id)) as unknown as { reason: string }).reason).toContain(
      "over its profile's limit of $1.00",
    );
    const [only] = await eventually(
      async () => {
        const rows = await runsOf(id);
        return rows[0]?.status === 'running' ? undefined : rows;
      },
      20_000,
      'the run recorded as ended',
    );
    expect(only).toMatchObject({ status: 'cancelled' });
    expect(Number(only?.cost_usd)).toBeCloseTo(1.5);
  });

  it('refuses forged, replayed, stale and old-epoch callbacks, and they change nothing', async () => {
    const id = await run(`  - { id: a, kind: agent, profile: coder, prompt: wait, input: { outcome: hang } }`);
    const runKey = `${id}/a/1`;
    await eventually(
      async () => ((await runsOf(id))[0]?.status === 'running' ? true : undefined),
      10_000,
      'the run started',
    );
    const row = await sessionOf(id);
    if (row === undefined || row.sandbox_id === null) throw new Error('no session');
    // The callback secret is sealed at rest: a forger needs what the sandbox was given.
    const session = {
      ...row,
      callback_secret:
        (await createSessionStore(baton.db, baton.ctx.credentials.sealer).callbackSecret(row.id))?.secret ?? '',
    };
    const send = async (
      body: Record<string, unknown>,
      secret: string,
      at = Date.now(),
      tamper?: (raw: string) => string,
    ) => {
      const raw = JSON.stringify(body);
      const headers = await signCallback(secret, raw, at);
      return (
        await fetch(`${baton.url}/v1/sandbox-events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: tamper === undefined ? raw : tamper(raw),
        })
      ).status;
    };
    const completed = (eventId: string, epoch = session.epoch) => ({
      id: eventId,
      sessionId: session.id,
      epoch,
      sandboxId: session.sandbox_id,
      at: new Date().toISOString(),
      type: 'run.completed',
      runKey,
      data: { output: { forged: true } },
    });
    expect(await send(completed(crypto.randomUUID()), 'not-the-secret')).toBe(401);
    expect(await send(completed(crypto.randomUUID()), session.callback_secret, Date.now() - 6 * 60_000)).toBe(401);
    expect(
      await send(completed(crypto.randomUUID()), session.callback_secret, Date.now(), (raw) =>
        raw.replace('"forged":true', '"forged":false'),
      ),
    ).toBe(401);
    expect(await send(completed(crypto.randomUUID(), session.epoch - 1 || 99), session.callback_secret)).toBe(410);
    expect(
      await send(
        { ...completed(crypto.randomUUID()), runKey: undefined, type: 'run.progress' },
        session.callback_secret,
      ),
    ).toBe(400);
    expect((await execution(id)).steps.a?.status).toBe('running');
    // A correctly signed heartbeat is accepted; delivered again (a replay), it is ignored.
    const heartbeat = {
      id: crypto.randomUUID(),
      sessionId: session.id,
      epoch: session.epoch,
      sandboxId: session.sandbox_id,
      at: new Date().toISOString(),
      type: 'heartbeat',
      data: {},
    };
    expect(await send(heartbeat, session.callback_secret)).toBe(204);
    expect(await send(heartbeat, session.callback_secret)).toBe(204);
    const stored = await baton.db.selectFrom('sandbox_events').select('id').where('id', '=', heartbeat.id).execute();
    expect(stored).toHaveLength(1);
    // Sent at once (written together in one batch): the copies of one event count once, each new one is kept.
    const burst = [heartbeat, { ...heartbeat, id: crypto.randomUUID() }, { ...heartbeat, id: crypto.randomUUID() }];
    const again = { ...heartbeat, id: crypto.randomUUID() };
    expect(await Promise.all([...burst, again, again].map((event) => send(event, session.callback_secret)))).toEqual([
      204, 204, 204, 204, 204,
    ]);
    const burstIds = [...burst, again].map((e) => e.id);
    expect(
      (await baton.db.selectFrom('sandbox_events').select('id').where('id', 'in', burstIds).execute())
        .map((r) => r.id)
        .sort(),
    ).toEqual([...burstIds].sort());
    expect((await runsOf(id))[0]).toMatchObject({ status: 'running', output: null });
    // A batch must be of one session epoch, and is refused whole when its signature is wrong.
    const started = { ...completed(crypto.randomUUID()), type: 'run.started', data: {} };
    const done = { ...completed(crypto.randomUUID()), data: { output: { summary: 'done' }, costUsd: 0.25 } };
    expect(await send({ events: [started, { ...done, epoch: session.epoch + 1 }] }, session.callback_secret)).toBe(400);
    expect(await send({ events: [started, done] }, 'not-the-secret')).toBe(401);
    expect(
      await baton.db.selectFrom('sandbox_events').select('id').where('id', 'in', [started.id, done.id]).execute(),
    ).toEqual([]);
    // The run's start (again) and its end in one batch callback (written in one statement): the run ends.
    expect(await send({ events: [started, done] }, session.callback_secret)).toBe(204);
    await settled(id, 'succeeded');
    expect((await runsOf(id))[0]).toMatchObject({ status: 'succeeded', output: { summary: 'done' }, cost_usd: 0.25 });
  });

  it('moves a step whose sandbox is deleted mid-run to a new sandbox; what it reported before is kept', async () => {
    const id = await run(
      `  - { id: a, kind: agent, profile: coder, prompt: long, input: { duration: 2500, ` +
        `progress: [{ message: "halfway", percent: 50 }, { message: "almost", percent: 66 }] } }`,
    );
    await eventually(
      async () => {
        const progress = (await runsOf(id))[0]?.progress;
        return typeof progress === 'object' && progress !== null ? true : undefined;
      },
      10_000,
      'progress reported',
    );
    const first = await sessionOf(id);
    expect((await api('DELETE', `/v1/sessions/${first?.id}`, viewer.secret)).status).toBe(403);
    expect((await api('DELETE', `/v1/sessions/${first?.id}`, owner.secret)).status).toBe(204);
    const done = await settled(id, 'succeeded');
    expect(done.steps.a).toMatchObject({ status: 'succeeded', attempt: 2 });
    // The engine may hear of the result before the run's row records its end (a loaded machine).
    const runs = await eventually(
      async () => {
        const rows = await runsOf(id);
        return rows[1]?.status === 'succeeded' ? rows : undefined;
      },
      20_000,
      'the second run recorded as succeeded',
    );
    expect(runs.map((r) => [r.attempt, r.status, r.epoch])).toEqual([
      [1, 'lost', 1],
      [2, 'succeeded', 2],
    ]);
    expect(runs[0]?.progress).toMatchObject({ message: expect.any(String) });
    expect((await sessionOf(id))?.epoch).toBe(2);
    // Each key started once, each on its own sandbox epoch.
    expect(
      (await sandboxLedger(baton.sandboxUrl))
        .filter((r) => r.idempotencyKey.startsWith(id))
        .map((r) => [r.idempotencyKey, r.epoch, r.requests]),
    ).toEqual([
      [`${id}/a/1`, 1, 1],
      [`${id}/a/2`, 2, 1],
    ]);
  });

  it(
    'loses a sandbox that crashes (no heartbeat within the lease), ' +
      'tries new sandboxes, and fails the step after three losses',
    async () => {
      const id =
        await run(`  - { id: a, kind: agent, profile: coder, prompt: crashy, input: { duration: 200, outcome: crash } }
  - { id: b, kind: agent, profile: coder, prompt: after }`);
      // Every attempt of a crashes its sandbox: after three lost sandboxes the loss counts as a failure.
      const failed = await settled(id, 'failed', 40_000);
      expect(failed.steps.a).toMatchObject({ status: 'failed', attempt: 4 });
      expect((await sessionOf(id))?.epoch).toBe(4);
      expect((await runsOf(id)).map((r) => r.status)).toEqual(['lost', 'lost', 'lost', 'lost']);
    },
  );

  it(
    'opens a terminal: attach URL and a short-lived token ' + 'for the sandbox, verifiable with the published keys',
    async () => {
      expect((await api('POST', `/v1/dashboards/${dashboardId}/terminals`, viewer.secret)).status).toBe(403);
      const opened = await api('POST', `/v1/dashboards/${dashboardId}/terminals`, owner.secret);
      expect(opened.status, JSON.stringify(opened.body)).toBe(201);
      expect(opened.body.attachUrl).toMatch(/^wss?:\/\//);
      const sandboxId = opened.body.session.sandboxId as string;
      const { payload, protectedHeader } = await jwtVerify(
        opened.body.token as string,
        createRemoteJWKSet(new URL(`${baton.url}/.well-known/jwks.json`)),
        { issuer: baton.config.http.publicUrl, audience: `sandbox:${sandboxId}` },
      );
      expect(payload.sub).toBe(owner.userId);
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBeLessThanOrEqual(300);
      expect(protectedHeader.alg).toBe('ES256');
      // The same terminal session is reused.
      const again = await api('POST', `/v1/dashboards/${dashboardId}/terminals`, owner.secret);
      expect(again.body.session.id).toBe(opened.body.session.id);
      const keys = (await (await fetch(`${baton.url}/.well-known/jwks.json`)).json()) as {
        keys: Array<{ d?: string; kid: string }>;
      };
      expect(keys.keys.every((k) => k.d === undefined)).toBe(true);
    },
  );

  it('refuses a terminal past the workspace limit with a clear error; a step waits for a free sandbox', async () => {
    const others = [];
    for (let i = 0; i < 6; i++)
      others.push(
        (await createDashboard(baton.ctx, sessionPrincipal(owner.userId), workspaceId, { name: `T${i}` }, 'setup')).id,
      );
    const statuses = [];
    for (const other of others) statuses.push(await api('POST', `/v1/dashboards/${other}/terminals`, owner.secret));
    const refused = statuses.find((s) => s.status === 429);
    expect(refused?.body.error).toMatchObject({ code: 'sandbox_limit', message: expect.stringContaining('limit') });
    const open = statuses.filter((s) => s.status === 201).map((s) => s.body.session.id as string);
    // The workspace is full: an agent step waits (no run starts) until a sandbox is let go.
    const id = await run(`  - { id: a, kind: agent, profile: coder, prompt: patient }`);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await runsOf(id)).toEqual([]);
    expect((await execution(id)).status).toBe('running');
    // The dashboard says why the step does not start.
    await eventually(
      async () => {
        const doc = new Y.Doc();
        Y.applyUpdate(doc, await baton.ctx.realtime.state(stateDocumentName(dashboardId)));
        const waiting = doc.getMap('progress').get(`${id}/a/1`) as { message?: string } | undefined;
        return waiting?.message?.startsWith('waiting for a sandbox') === true ? true : undefined;
      },
      10_000,
      'the dashboard shows the step waiting',
    );
    expect((await api('DELETE', `/v1/sessions/${open[0]}`, owner.secret)).status).toBe(204);
    expect((await settled(id, 'succeeded', 30_000)).steps.a).toMatchObject({ status: 'succeeded', attempt: 1 });
    for (const session of open.slice(1)) await api('DELETE', `/v1/sessions/${session}`, owner.secret);
  });
});
