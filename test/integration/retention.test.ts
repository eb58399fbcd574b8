import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetentionStore } from '../../src/adapters/postgres/retention-store.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { signWebhook } from '../../src/app/triggers/hook-signature.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { pruneOnce, type RetentionPolicy, type RetentionReport } from '../../src/app/system/retention.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { systemTimers } from '../../src/adapters/clock/system-timers.ts';

/**
 * Retention (docs/retention.md) through a real server and real Postgres: executions run on the
 * local execution plane, then passes run with a clock days ahead. A finished execution's detail
 * goes, in batches; an unfinished execution of the same age keeps everything it has.
 */
let database: TestDatabase;
let baton: TestApp;
let token: string;
let workspaceId: string;
let dashboardId: string;
let finished: string;
let waiting: string;

const api = (method: string, path: string, body?: unknown) => callApi(baton.url, method, path, token, body);
const dayMs = 86_400_000;
const keepAll: RetentionPolicy = {
  executionDays: null,
  executionRecordDays: null,
  eventDays: null,
  auditDays: null,
  intervalMs: 3_600_000,
  batchSize: 1,
};
const defaults: RetentionPolicy = { ...keepAll, executionDays: 90, eventDays: 30, auditDays: 365 };

/** One pass `days` ahead of now. The server's own pass (real time) may hold the lease a moment: wait for it. */
const passAt = (days: number, policy: RetentionPolicy): Promise<RetentionReport> =>
  eventually(
    () =>
      pruneOnce(
        {
          store: createRetentionStore(baton.db),
          clock: { now: () => new Date(Date.now() + days * dayMs) },
          timers: systemTimers,
          logger: silentLogger,
          policy,
          idempotencyWindowMs: dayMs,
        },
        { force: true },
      ),
    60_000,
    'a retention pass',
  );

/** What is stored about one execution, table by table. */
async function stored(executionId: string) {
  const count = async (query: ReturnType<typeof sql<{ n: number }>>) =>
    (await query.execute(baton.db)).rows[0]?.n ?? -1;
  return {
    execution: await count(sql<{ n: number }>`select count(*)::int as n from executions where id = ${executionId}`),
    history: await count(
      sql<{ n: number }>`select count(*)::int as n from execution_events where execution_id = ${executionId}`,
    ),
    runs: await count(
      sql<{ n: number }>`select count(*)::int as n from sandbox_runs where execution_id = ${executionId}`,
    ),
    runEvents: await count(
      sql<{
        n: number;
      }>`select count(*)::int as n from sandbox_events ev join sessions s on s.id = ev.session_id
        where s.execution_id = ${executionId} and ev.run_key is not null`,
    ),
    heartbeats: await count(
      sql<{
        n: number;
      }>`select count(*)::int as n from sandbox_events ev join sessions s on s.id = ev.session_id
        where s.execution_id = ${executionId} and ev.run_key is null`,
    ),
    artifacts: await count(
      sql<{ n: number }>`select count(*)::int as n from artifacts where execution_id = ${executionId}`,
    ),
    sessions: await count(
      sql<{ n: number }>`select count(*)::int as n from sessions where execution_id = ${executionId}`,
    ),
  };
}
const auditEntries = async () =>
  Number((await sql<{ n: number }>`select count(*)::int as n from audit_log`.execute(baton.db)).rows[0]?.n);

async function start(steps: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: `name: r\nsteps:\n${steps}` });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}
const statusOf = async (id: string) => ((await api('GET', `/v1/executions/${id}`)).body as { status: string }).status;

beforeAll(async () => {
  database = await createTestDatabase();
  // Heartbeats every second, so sessions have some to prune.
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
  });
  const made = await bootstrapToken(baton.ctx, { email: 'keeper@example.com', workspaceName: 'Retention' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Retention' }, 'setup')
  ).id;
  expect(
    (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
  ).toBe(201);
  // The same work twice; the second then waits for a person, unfinished.
  const work =
    `  - { id: work, kind: agent, profile: coder, prompt: go, input: { duration: 1500, progress: ` +
    `[{ message: "one", percent: 30 }, { message: "two", percent: 60 }], artifacts: [{ kind: ` +
    `link, title: "The PR", url: "https://example.com/pr/1" }], output: { ok: true } } }\n`;
  finished = await start(work);
  waiting = await start(`${work}  - { id: gate, kind: approval, prompt: "ship it?" }\n`);
  await eventually(async () => (await statusOf(finished)) === 'succeeded', 60_000, 'the first execution to finish');
  await eventually(async () => (await statusOf(waiting)) === 'waiting', 60_000, 'the second to wait for its approval');
  // Its sandbox let go, the first execution has nothing live left.
  await eventually(
    async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from sessions where execution_id = ${finished}
          and status in ('ended', 'lost', 'failed')`.execute(baton.db)
      ).rows[0]?.n === 1,
    30_000,
    'the finished execution to let its sandbox go',
  );
  await eventually(async () => (await stored(waiting)).heartbeats > 0, 30_000, 'a heartbeat of the waiting execution');
  // A run's end is recorded (with its last event) just after the execution hears of it.
  await eventually(
    async () =>
      (
        await sql<{
          n: number;
        }>`select count(*)::int as n from sandbox_runs where execution_id in (${finished}, ${waiting})
          and status = 'succeeded'`.execute(baton.db)
      ).rows[0]?.n === 2,
    30_000,
    'both runs recorded as ended',
  );
}, 180_000);
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

describe('retention', () => {
  it('keeps everything when every period is 0 (forever)', async () => {
    const before = { finished: await stored(finished), waiting: await stored(waiting), audit: await auditEntries() };
    const report = await passAt(1000, keepAll);
    expect(Object.entries(report).filter(([kind, n]) => n > 0 && kind !== 'idempotency-keys')).toEqual([]);
    const after = { finished: await stored(finished), waiting: await stored(waiting), audit: await auditEntries() };
    // The waiting execution's sandbox goes on sending heartbeats meanwhile: none went, some may have come.
    expect(after.waiting.heartbeats).toBeGreaterThanOrEqual(before.waiting.heartbeats);
    expect({ ...after, waiting: { ...after.waiting, heartbeats: 0 } }).toEqual({
      ...before,
      waiting: { ...before.waiting, heartbeats: 0 },
    });
  });

  it(
    "prunes a finished execution's detail in batches, and " + 'nothing an unfinished execution of the same age has',
    async () => {
      const before = { finished: await stored(finished), waiting: await stored(waiting) };
      // Both ran the same work: there is more of it than one batch of 1 row in every table.
      for (const counts of [before.finished, before.waiting]) {
        expect(counts.history).toBeGreaterThan(keepAll.batchSize);
        expect(counts.runEvents).toBeGreaterThan(keepAll.batchSize);
        expect(counts).toMatchObject({ execution: 1, runs: 1, artifacts: 1, sessions: 1 });
      }

      // 100 days on: past 90 days of execution detail and 30 days of events, within a year of audit.
      const report = await passAt(100, defaults);
      expect(report['execution-detail']).toBeGreaterThan(keepAll.batchSize);

      expect(await stored(finished)).toEqual({
        execution: 1,
        history: 0,
        runs: 0,
        runEvents: 0,
        heartbeats: 0,
        artifacts: 0,
        sessions: 0,
      });
      // The execution itself still reads as it ended; its history is gone.
      expect(await api('GET', `/v1/executions/${finished}`)).toMatchObject({
        status: 200,
        body: { status: 'succeeded', steps: { work: { status: 'succeeded', output: { ok: true } } } },
      });
      expect((await api('GET', `/v1/executions/${finished}/events`)).body).toMatchObject({ events: [] });

      // The waiting execution keeps its history, run, run events, artifact and session; only
      // heartbeats (older than 30 days by then) went.
      const after = await stored(waiting);
      expect({ ...after, heartbeats: 0 }).toEqual({ ...before.waiting, heartbeats: 0 });
      expect(await statusOf(waiting)).toBe('waiting');
      expect(report['audit-log']).toBe(0);
    },
  );

  it('prunes the audit log after its period, and finished executions themselves only when told to', async () => {
    expect(await auditEntries()).toBeGreaterThan(0);
    const report = await passAt(400, { ...defaults, executionRecordDays: 200 });
    expect(report['audit-log']).toBeGreaterThan(0);
    expect(await auditEntries()).toBe(0);
    expect(report.executions).toBe(1);
    expect((await api('GET', `/v1/executions/${finished}`)).status).toBe(404);
    // A year on, the unfinished execution still has everything but heartbeats.
    expect(await stored(waiting)).toMatchObject({ execution: 1, runs: 1, artifacts: 1, sessions: 1 });
    expect((await stored(waiting)).history).toBeGreaterThan(keepAll.batchSize);
    expect(await statusOf(waiting)).toBe('waiting');
  });

  it('prunes trigger payloads of that age, except the one that started an execution still unfinished', async () => {
    const gated = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml: 'name: gated\nsteps:\n  - { id: gate, kind: approval, prompt: ok }\n',
    });
    expect(gated.status, JSON.stringify(gated.body)).toBe(201);
    const trigger = async (body: object) => {
      const made = await api('POST', `/v1/workspaces/${workspaceId}/triggers`, body);
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      return made.body as { id: string; secret: string };
    };
    const deliver = async (hook: { id: string; secret: string }, payload: object) => {
      const body = JSON.stringify(payload);
      const res = await fetch(`${baton.url}/v1/hooks/${hook.id}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(await signWebhook(hook.secret, { body, deliveryId: crypto.randomUUID(), nowMs: Date.now() })),
        },
        body,
      });
      expect(res.status).toBeLessThan(300);
      return ((await res.json()) as { id: string }).id;
    };
    const starts = await trigger({
      name: 'starts',
      source: 'webhook',
      action: { kind: 'start', recipeId: gated.body.id, dashboardId, inputs: {} },
    });
    const quiet = await trigger({ name: 'quiet', source: 'webhook', action: { kind: 'wake', event: 'never' } });
    const starter = await deliver(starts, { n: 1 });
    const ignored = await deliver(quiet, { n: 2 });
    const firing = (eventId: string) =>
      sql<{
        outcome: string;
        execution_id: string | null;
      }>`select outcome, execution_id from trigger_firings where event_id = ${eventId}`.execute(baton.db);
    const started = await eventually(
      async () => (await firing(starter)).rows[0]?.execution_id ?? undefined,
      30_000,
      'the delivery to start an execution',
    );
    await eventually(
      async () => (await firing(ignored)).rows.length === 1,
      30_000,
      'the quiet trigger to record its firing',
    );
    expect(await statusOf(started)).toBe('waiting');

    const report = await passAt(100, defaults);
    expect(report['inbound-events']).toBe(1);
    const events = (await sql<{ id: string }>`select id from inbound_events`.execute(baton.db)).rows.map((r) => r.id);
    expect(events).toEqual([starter]);
    expect((await firing(starter)).rows).toEqual([{ outcome: 'started', execution_id: started }]);
  });

  it(
    'prunes schedule fires of that age, except the one whose ' + 'execution is unfinished and the one queued behind it',
    async () => {
      const gated = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: gated\nsteps:\n  - { id: gate, kind: approval, prompt: ok }\n',
      });
      const made = await api('POST', `/v1/workspaces/${workspaceId}/schedules`, {
        name: 'every second',
        recipeId: gated.body.id,
        dashboardId,
        cron: '* * * * * *',
        overlap: 'queue-one',
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const id = made.body.id as string;
      type Fire = { fireAt: string; outcome: string; executionId: string | null };
      const fires = async () =>
        ((await api('GET', `/v1/schedules/${id}/fires?limit=200`)).body.fires as Fire[]).map((f) => ({
          fireAt: f.fireAt,
          outcome: f.outcome,
          executionId: f.executionId,
        }));
      // The first fire starts an execution that waits for a person; the next is queued behind it, and
      // each later one replaces the queued fire (recorded as skipped).
      await eventually(
        async () => (await fires()).filter((f) => f.outcome === 'skipped').length >= 2,
        30_000,
        'fires queued and replaced',
      );
      expect((await api('PATCH', `/v1/schedules/${id}`, { paused: true })).status).toBe(200);
      const all = await fires();
      const kept = all.filter((f) => f.outcome === 'started' || f.outcome === 'queued');
      expect(kept.map((f) => f.outcome).sort()).toEqual(['queued', 'started']);

      const report = await passAt(100, defaults);
      expect(report['schedule-fires']).toBe(all.length - 2);
      expect(await fires()).toEqual(kept);
    },
  );

  it(
    'drops revoked and expired API tokens from the list a ' +
      'year after they ended, and idempotency keys past their day',
    async () => {
      const made = await api('POST', '/v1/tokens', { name: 'revoked soon', scopes: ['read'] });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      expect((await api('DELETE', `/v1/tokens/${made.body.id}`)).status).toBe(204);
      const listed = async () =>
        ((await api('GET', '/v1/tokens')).body.tokens as Array<{ id: string; name: string }>).map((t) => t.id);
      expect(await listed()).toContain(made.body.id);
      const gated = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: once\nsteps:\n  - { id: gate, kind: approval, prompt: ok }\n',
      });
      const once = await fetch(`${baton.url}/v1/recipes/${gated.body.id}/executions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'idempotency-key': 'retention-key',
        },
        body: JSON.stringify({ dashboardId }),
      });
      expect(once.status).toBe(201);
      const keys = async () =>
        Number(
          (await sql<{ n: number }>`select count(*)::int as n from idempotency_keys`.execute(baton.db)).rows[0]?.n,
        );
      expect(await keys()).toBe(1);

      // Within a year of its revocation the token is listed (audit entries name it); its key is past its day.
      expect((await passAt(300, defaults))['idempotency-keys']).toBe(1);
      expect(await keys()).toBe(0);
      expect(await listed()).toContain(made.body.id);
      // Past a year: gone. The test's own token, valid for 90 days from today, stays and still works.
      expect((await passAt(400, defaults))['api-tokens']).toBeGreaterThanOrEqual(1);
      expect(await listed()).not.toContain(made.body.id);
    },
  );
});
