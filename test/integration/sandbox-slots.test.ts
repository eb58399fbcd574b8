import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Sandbox slots: a step waiting for one starts when one frees, in the order the steps began
// waiting, without a poll; sandboxes of executions that only wait for a person make room.

let database: TestDatabase;
let baton: TestApp;
let owner: { secret: string; userId: string };
let workspaceId: string;
let dashboardId: string;

const api = (method: string, path: string, body?: unknown) => callApi(baton.url, method, path, owner.secret, body);

beforeAll(async () => {
  database = await createTestDatabase();
  // Three slots per workspace; the reaper (which also sweeps the slot queue) practically never runs,
  // so every hand-over below comes from the release that freed the slot, not from a poll.
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_MAX_PER_WORKSPACE: '3',
    BATON_REAPER_INTERVAL_SECONDS: '3600',
  });
  const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Slots' });
  owner = { secret: made.secret, userId: made.user.id };
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(owner.userId), workspaceId, { name: 'Work' }, 'setup')
  ).id;
  expect(
    (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' })).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

async function recipe(name: string, steps: string): Promise<string> {
  const made = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: `name: ${name}\nsteps:\n${steps}` });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return made.body.id as string;
}
async function start(recipeId: string): Promise<string> {
  const started = await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}
type Execution = {
  status: string;
  waitingFor?: string | null;
  queuePosition?: number | null;
  steps: Record<string, { status: string }>;
};
const execution = async (id: string) => (await api('GET', `/v1/executions/${id}`)).body as Execution;
const settled = (id: string, status: string, timeoutMs = 30_000) =>
  eventually(
    async () => {
      const current = await execution(id);
      return current.status === status ? current : undefined;
    },
    timeoutMs,
    `execution ${id} ${status}`,
  );
const waiting = async (executionId: string) =>
  Number(
    (
      await sql<{
        n: string;
      }>`select count(*) as n from sandbox_slot_waiters where execution_id = ${executionId}`.execute(baton.db)
    ).rows[0]?.n ?? 0,
  ) > 0;
const sessionOf = async (executionId: string) =>
  baton.db.selectFrom('sessions').selectAll().where('execution_id', '=', executionId).executeTakeFirst();

describe('sandbox slots', () => {
  it(
    'hands freed slots to waiting steps in the order they ' + 'began waiting, at once, and says so through the API',
    async () => {
      const hold = await recipe(
        'hold',
        '  - { id: a, kind: agent, profile: coder, prompt: hold, input: { outcome: hang } }\n',
      );
      const quick = await recipe(
        'quick',
        '  - { id: a, kind: agent, profile: coder, prompt: quick, input: { duration: 20 } }\n',
      );
      const holders = [await start(hold), await start(hold), await start(hold)];
      for (const id of holders)
        await eventually(
          async () => ((await sessionOf(id))?.status === 'ready' ? true : undefined),
          20_000,
          'a holder has its sandbox',
        );

      // 30 more steps wait, one after the other (each is in the queue before the next starts).
      const queued: string[] = [];
      for (let i = 0; i < 30; i++) {
        const id = await start(quick);
        await eventually(
          async () => ((await waiting(id)) ? true : undefined),
          10_000,
          `execution ${i} waits for a slot`,
        );
        queued.push(id);
      }
      // The API says what each waits for, and where it is in the queue.
      expect(await execution(queued[0] ?? '')).toMatchObject({
        status: 'running',
        waitingFor: 'sandbox',
        queuePosition: 1,
      });
      expect(await execution(queued[29] ?? '')).toMatchObject({
        status: 'running',
        waitingFor: 'sandbox',
        queuePosition: 30,
      });
      expect(await execution(holders[0] ?? '')).toMatchObject({
        status: 'running',
        waitingFor: null,
        queuePosition: null,
      });

      // The holders go: their three slots are handed on, and each finished step hands its own on.
      for (const id of holders) expect((await api('POST', `/v1/executions/${id}/cancel`, {})).status).toBe(200);
      for (const id of queued) await settled(id, 'succeeded', 60_000);

      // First come, first served: no step got its slot before one that began waiting earlier.
      const grants = await baton.db
        .selectFrom('sessions')
        .select(['execution_id', 'epoch_started_at', 'epoch'])
        .where('execution_id', 'in', queued)
        .execute();
      const trace = queued
        .map((id) => grants.find((g) => g.execution_id === id))
        .map((g) => `${g?.epoch} ${g?.epoch_started_at?.getTime()}`)
        .join(', ');
      const grantedAt = new Map(grants.map((g) => [g.execution_id, g.epoch_started_at?.getTime() ?? Number.NaN]));
      const order = queued.map((id) => grantedAt.get(id) ?? Number.NaN);
      for (let i = 1; i < order.length; i++)
        expect(order[i], `step ${i} got its slot before step ${i - 1}: ${trace}`).toBeGreaterThanOrEqual(
          order[i - 1] ?? Number.NaN,
        );
      expect(
        grants.every((g) => g.epoch === 1),
        trace,
      ).toBe(true);
      // Nothing is left in the queue.
      await eventually(
        async () => ((await waiting(queued[29] ?? '')) ? undefined : true),
        10_000,
        'the queue is empty',
      );
      expect((await execution(queued[29] ?? '')).waitingFor).toBeNull();
    },
  );

  it(
    'queues every agent step of an execution that waits, ' + 'and starts them all in its sandbox when it gets a slot',
    async () => {
      const hold = await recipe(
        'hold2',
        '  - { id: a, kind: agent, profile: coder, prompt: hold, input: { outcome: hang } }\n',
      );
      const both = await recipe(
        'both',
        '  - { id: both, kind: parallel, branches: [ { steps: [ { id: x, kind: agent, ' +
          'profile: coder, prompt: x, input: { duration: 20 } } ] }, { steps: [ { id: ' +
          'y, kind: agent, profile: coder, prompt: y, input: { duration: 20 } } ] } ] }\n',
      );
      const holders = [await start(hold), await start(hold), await start(hold)];
      for (const id of holders)
        await eventually(
          async () => ((await sessionOf(id))?.status === 'ready' ? true : undefined),
          20_000,
          'a holder has its sandbox',
        );
      const id = await start(both);
      // Both steps wait (one place in the queue: they share the execution's session).
      await eventually(
        async () =>
          Number(
            (
              await sql<{
                n: string;
              }>`select count(*) as n from sandbox_slot_waiters where execution_id = ${id}`.execute(baton.db)
            ).rows[0]?.n,
          ) === 2
            ? true
            : undefined,
        10_000,
        'both steps wait',
      );
      expect(await execution(id)).toMatchObject({ waitingFor: 'sandbox', queuePosition: 1 });
      expect((await api('POST', `/v1/executions/${holders[0]}/cancel`, {})).status).toBe(200);
      const done = await settled(id, 'succeeded');
      expect(done.steps).toMatchObject({ x: { status: 'succeeded' }, y: { status: 'succeeded' } });
      expect((await sessionOf(id))?.epoch).toBe(1);
      for (const holder of holders.slice(1)) await api('POST', `/v1/executions/${holder}/cancel`, {});
    },
  );

  it(
    'lets idle sandboxes of executions waiting for a person go when a ' +
      'step needs the slot, and recreates them when their execution goes on',
    async () => {
      const gated = await recipe(
        'gated',
        '  - { id: a, kind: agent, profile: coder, prompt: first, input: { duration: ' +
          '20 } }\n  - { id: gate, kind: approval, prompt: "go on?" }\n  - { id: c, ' +
          'kind: agent, profile: coder, prompt: after, input: { duration: 20 } }\n',
      );
      const waiter = await recipe('napper', '  - { id: nap, kind: wait, event: { name: go } }\n');
      const quick = await recipe(
        'quick2',
        '  - { id: a, kind: agent, profile: coder, prompt: quick, input: { duration: 20 } }\n',
      );
      // Three executions run their first step, then wait for a person: their sandboxes sit idle.
      const gatedIds = [await start(gated), await start(gated), await start(gated)];
      for (const id of gatedIds) {
        const waitingNow = await settled(id, 'waiting');
        expect(waitingNow).toMatchObject({ waitingFor: 'approval', queuePosition: null });
        expect((await sessionOf(id))?.status).toBe('ready');
      }
      // A wait step says what it waits for too.
      const napper = await start(waiter);
      expect(await settled(napper, 'waiting')).toMatchObject({ waitingFor: 'event' });

      // The workspace is at its limit; a new step gets a slot without waiting for an idle timeout.
      const newcomer = await start(quick);
      await settled(newcomer, 'succeeded', 30_000);
      const letGo = [];
      for (const id of gatedIds) {
        const session = await sessionOf(id);
        if (session?.status === 'ended') letGo.push({ id, reason: session.ended_reason });
      }
      expect(letGo.length).toBeGreaterThanOrEqual(1);
      expect(letGo[0]?.reason).toContain('waits');

      // Approved, an execution whose sandbox was let go gets a new one (epoch 2) for its next step.
      const revived = letGo[0]?.id ?? '';
      expect((await api('POST', `/v1/executions/${revived}/steps/gate/approve`, {})).status).toBe(200);
      await settled(revived, 'succeeded', 30_000);
      expect((await sessionOf(revived))?.epoch).toBe(2);
      for (const id of [...gatedIds.filter((g) => g !== revived), napper])
        await api('POST', `/v1/executions/${id}/cancel`, {});
    },
  );

  it(
    'loses no step when the instance handing it a slot dies: ' +
      "another instance's reaper gives the head its slot again",
    async () => {
      const hold = await recipe(
        'hold3',
        '  - { id: a, kind: agent, profile: coder, prompt: hold, input: { outcome: hang } }\n',
      );
      const quick = await recipe(
        'quick3',
        '  - { id: a, kind: agent, profile: coder, prompt: quick, input: { duration: 20 } }\n',
      );
      const holders = [await start(hold), await start(hold), await start(hold)];
      for (const id of holders)
        await eventually(
          async () => ((await sessionOf(id))?.status === 'ready' ? true : undefined),
          20_000,
          'a holder has its sandbox',
        );
      const head = await start(quick);
      await eventually(async () => ((await waiting(head)) ? true : undefined), 10_000, 'the step waits for a slot');
      // An instance took the head's slot (its session began provisioning long ago) and died before
      // creating its sandbox; then a holder left. This instance sees no head to serve (it is taken).
      const taken = await sessionOf(head);
      await baton.db
        .updateTable('sessions')
        .set({ status: 'provisioning', epoch: 1, epoch_started_at: new Date(Date.now() - 10 * 60_000) })
        .where('id', '=', taken?.id ?? '')
        .execute();
      expect((await api('POST', `/v1/executions/${holders[0]}/cancel`, {})).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await execution(head)).status).toBe('running');
      // Another instance, whose reaper runs: it fails the stuck provisioning and the head gets a slot again.
      const other = await startTestApp(database.url, {
        BATON_SANDBOX_MAX_PER_WORKSPACE: '3',
        BATON_REAPER_INTERVAL_SECONDS: '1',
      });
      try {
        await settled(head, 'succeeded', 30_000);
        // The sandbox is let go by the job the execution's end enqueued, just after it ends.
        await eventually(
          async () => ((await sessionOf(head))?.status === 'ended' ? true : undefined),
          10_000,
          "the head's sandbox is let go",
        );
        expect((await sessionOf(head))?.epoch).toBe(2);
        expect(await waiting(head)).toBe(false);
      } finally {
        await other.close();
        for (const id of holders.slice(1)) await api('POST', `/v1/executions/${id}/cancel`, {});
      }
    },
  );
});
