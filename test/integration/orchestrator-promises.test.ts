import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createCelExpressions } from '../../src/app/orchestrator/cel-expressions.ts';
import { Engine } from '../../src/app/orchestrator/engine.ts';
import type { ExecutionEvent, ExecutionState } from '../../src/domain/orchestrator/execution.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectDashboard } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { createTeam, type Member } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// What the orchestrator promises people (issue 18, defects 5 and 6), through the real server: a pause
// holds every step that acts, one decision per person, 409s that say what is true with `details`,
// finished executions keep no timers, and every approval reaches the dashboard document.

let database: TestDatabase;
let baton: TestApp;
let owner: Member;
let editor: Member;
let viewer: Member;
let workspaceId: string;
let dashboardId: string;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  ({ owner, editor, viewer, workspaceId, dashboardId } = await createTeam(baton, 'Promises'));
  expect(
    (
      await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
        name: 'coder',
        model: 'test-model',
        tools: ['git'],
        promptTemplate: '${prompt}',
      })
    ).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

/** Creates a recipe from YAML and starts it; returns the execution id. */
async function run(yaml: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, {
    dashboardId,
    inputs: {},
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}

const execution = async (id: string) =>
  (await api('GET', `/v1/executions/${id}`, viewer.secret)).body as ExecutionState;
const until = (id: string, check: (state: ExecutionState) => boolean, what: string) =>
  eventually(
    async () => {
      const state = await execution(id);
      return check(state) ? state : undefined;
    },
    15_000,
    what,
  );
const history = async (id: string) =>
  (
    (await api('GET', `/v1/executions/${id}/events?limit=200`, viewer.secret)).body.events as Array<{
      seq: number;
      event: ExecutionEvent;
    }>
  ).map((e) => e.event);
const notes = async () =>
  ((await api('GET', `/v1/dashboards/${dashboardId}/items`, viewer.secret)).body.items as Array<{ body: string }>).map(
    (i) => i.body,
  );
/** The orchestrator's timer jobs of an execution still waiting in the outbox. */
const outboxTimers = async (id: string) =>
  (await baton.db.selectFrom('job_outbox').select('data').where('topic', '=', 'orchestrator.timer').execute())
    .map((row) => row.data as { executionId: string; timer: string })
    .filter((d) => d.executionId === id)
    .map((d) => d.timer)
    .sort();

describe('the orchestrator keeps its promises', () => {
  it('holds notify, wait and approval steps while paused, and starts them on resume', async () => {
    const id = await run(`
name: held
steps:
  - { id: a, kind: agent, profile: coder, prompt: a, input: { duration: 1500 } }
  - { id: tell, kind: notify, channel: dashboard, message: "held note" }
  - { id: nap, kind: wait, for: 50ms }
  - { id: gate, kind: approval, prompt: "go on?" }
`);
    expect((await api('POST', `/v1/executions/${id}/pause`, editor.secret)).status).toBe(200);
    // The running agent step finishes; what follows it waits for the resume.
    const paused = await until(id, (s) => s.steps.a?.status === 'succeeded', 'a finished while paused');
    expect(paused).toMatchObject({
      status: 'paused',
      active: ['tell'],
      steps: { tell: { status: 'pending', attempt: 0 } },
    });
    expect(paused.steps.nap).toBeUndefined();
    expect(await notes()).not.toContain('held note');
    expect((await api('POST', `/v1/executions/${id}/resume`, editor.secret)).status).toBe(200);
    await eventually(
      async () => ((await notes()).includes('held note') ? true : undefined),
      10_000,
      'the note after the resume',
    );
    const waiting = await until(id, (s) => s.steps.gate?.status === 'waiting', 'the approval asked for');
    expect(waiting.steps.nap?.status).toBe('succeeded');
  });

  it('refuses a second decision by the same person with a 409, recorded once in history and audit', async () => {
    const id = await run(`
name: twice
steps:
  - { id: gate, kind: approval, prompt: "Ship?", quorum: 2 }
`);
    await until(id, (s) => s.steps.gate?.status === 'waiting', 'the approval');
    expect(
      (await api('POST', `/v1/executions/${id}/steps/gate/approve`, owner.secret, { comment: 'yes' })).status,
    ).toBe(200);
    for (const action of ['approve', 'reject']) {
      const again = await api('POST', `/v1/executions/${id}/steps/gate/${action}`, owner.secret, { comment: 'again' });
      expect(again.status).toBe(409);
      expect(again.body.error).toMatchObject({
        code: 'conflict',
        message: expect.stringContaining('already approved step "gate"'),
        details: {
          stepId: 'gate',
          status: 'waiting',
          executionStatus: 'waiting',
          decision: { userId: owner.userId, approved: true },
        },
      });
    }
    expect((await history(id)).filter((e) => e.type === 'approval.decided')).toEqual([
      expect.objectContaining({ actor: { kind: 'user', userId: owner.userId }, comment: 'yes' }),
    ]);
    const audit = (await api('GET', `/v1/workspaces/${workspaceId}/audit?limit=200`, owner.secret)).body
      .entries as Array<{ action: string; targetId: string }>;
    expect(audit.filter((e) => e.targetId === id && e.action === 'approval.decided')).toHaveLength(1);
    expect((await execution(id)).steps.gate?.decisions).toHaveLength(1);
  });

  it('answers refusals with what is true of the step and the execution, and with details', async () => {
    const id = await run(`
name: truthful
steps:
  - { id: a, kind: agent, profile: coder, prompt: a, input: { outcome: fail } }
  - { id: gate, kind: approval, prompt: "ok?" }
  - { id: c, kind: agent, profile: coder, prompt: c }
`);
    await until(id, (s) => s.status === 'failed', 'the execution failed');
    const approve = await api('POST', `/v1/executions/${id}/steps/gate/approve`, editor.secret);
    expect(approve.status).toBe(409);
    expect(approve.body.error).toEqual({
      code: 'conflict',
      message: 'Step "gate" is not waiting for a decision: it has not started yet',
      details: { stepId: 'gate', status: null, executionStatus: 'failed' },
    });
    const edit = await api('POST', `/v1/executions/${id}/steps/c/input`, editor.secret, { input: { x: 1 } });
    expect(edit.status).toBe(409);
    expect(edit.body.error.message).not.toContain('has already started');
    expect(edit.body.error).toMatchObject({
      message: 'The execution has failed; step "c" will not run',
      details: { stepId: 'c', status: null, executionStatus: 'failed' },
    });
    const retry = await api('POST', `/v1/executions/${id}/steps/c/retry`, editor.secret);
    expect(retry.body.error).toMatchObject({
      message: 'Step "c" has not started yet; only a failed step can be retried',
      details: { stepId: 'c', status: null, executionStatus: 'failed' },
    });
    expect((await api('POST', `/v1/executions/${id}/resume`, editor.secret)).body.error).toMatchObject({
      code: 'conflict',
      details: { executionStatus: 'failed' },
    });
    // Not found and forbidden carry details too.
    expect((await api('POST', `/v1/executions/${id}/steps/nope/skip`, editor.secret)).body.error).toMatchObject({
      code: 'not_found',
      details: { stepId: 'nope' },
    });
    const missing = '00000000-0000-4000-8000-000000000000';
    expect((await api('GET', `/v1/executions/${missing}`, viewer.secret)).body.error).toMatchObject({
      code: 'not_found',
      details: { executionId: missing },
    });
    const forbidden = await api('POST', `/v1/executions/${id}/steps/a/skip`, viewer.secret);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: 'forbidden', details: { executionId: id } });
    const readOnly = (await api('POST', '/v1/tokens', editor.secret, { name: 'read only', scopes: ['read'] })).body
      .token as string;
    const scoped = await api('POST', `/v1/executions/${id}/steps/a/skip`, readOnly);
    expect(scoped.status).toBe(403);
    expect(scoped.body.error).toMatchObject({
      code: 'forbidden',
      details: { requiredScope: 'control', scopes: ['read'] },
    });
  });

  it('withdraws the timers an execution no longer awaits from the outbox, all of them once it finishes', async () => {
    const id = await run(`
name: timed
deadline: 2h
steps:
  - { id: a, kind: agent, profile: coder, prompt: a, timeout: 10m }
  - { id: nap, kind: wait, for: 1h }
`);
    await until(id, (s) => s.steps.nap?.status === 'waiting', 'the wait');
    // The finished attempt's timeout is gone; the wait and the deadline remain.
    expect(await outboxTimers(id)).toEqual(['deadline', 'wait:nap:1']);
    expect((await api('POST', `/v1/executions/${id}/cancel`, editor.secret)).status).toBe(200);
    expect(await outboxTimers(id)).toEqual([]);
  });

  it('ignores a timer that fires after its execution finished, without recording it', async () => {
    const id = await run(`
name: late
deadline: 2h
steps:
  - { id: a, kind: agent, profile: coder, prompt: a, timeout: 10m }
  - { id: nap, kind: wait, for: 1h }
`);
    await until(id, (s) => s.steps.nap?.status === 'waiting', 'the wait');
    expect((await api('POST', `/v1/executions/${id}/cancel`, editor.secret)).status).toBe(200);
    // Timers that reached the queue before they could be withdrawn fire late: nothing is appended.
    const before = await history(id);
    const engine = new Engine({
      unitOfWork: baton.ctx.unitOfWork,
      executions: baton.ctx.executions,
      recipes: baton.ctx.recipes,
      outbox: { kick: () => undefined },
      clock: baton.ctx.clock,
      expressions: createCelExpressions(),
      logger: silentLogger,
    });
    for (const timer of ['wait:nap:1', 'deadline', 'timeout:a:1'])
      expect((await engine.apply(id, { type: 'timer.fired', timer })).status).toBe('cancelled');
    expect(await history(id)).toEqual(before);
    expect((await execution(id)).version).toBe(before.length);
  });

  it('shows in the document every approval with its decisions, however fast and wherever they were made', async () => {
    const browser = connectDashboard(baton.url, dashboardId, { token: editor.secret });
    try {
      await eventually(() => browser.state.provider.isSynced && browser.dashboard.provider.isSynced, 20_000, 'synced');
      const id = await run(`
name: quick
steps:
  - { id: gate, kind: approval, prompt: "Quick?", quorum: 2 }
  - { id: done, kind: notify, channel: dashboard, message: "quick done" }
`);
      // Decided through the API right after it opened, before the document may have shown it waiting.
      expect(
        (await api('POST', `/v1/executions/${id}/steps/gate/approve`, owner.secret, { comment: 'api' })).status,
      ).toBe(200);
      const approvals = browser.state.doc.getMap<Y.Map<unknown>>('approvals');
      const entry = await eventually(() => approvals.get(`${id}:gate`), 10_000, 'the approval in the document');
      await eventually(
        () => ((entry.get('decisions') as Y.Map<unknown>).has(owner.userId) ? true : undefined),
        10_000,
        'the API decision in the document',
      );
      expect((entry.get('decisions') as Y.Map<unknown>).get(owner.userId)).toMatchObject({
        approved: true,
        comment: 'api',
      });
      // The second voice comes from the dashboard document itself (its `decisions` map).
      const mine = new Y.Map<unknown>();
      mine.set(editor.userId, { approved: true, comment: 'doc' });
      browser.dashboard.doc.getMap<Y.Map<unknown>>('decisions').set(`${id}:gate`, mine);
      await until(id, (s) => s.status === 'succeeded', 'the execution succeeded');
      await eventually(
        () => (approvals.get(`${id}:gate`)?.get('status') === 'approved' ? true : undefined),
        10_000,
        'the document shows it approved',
      );
      const shown = (approvals.get(`${id}:gate`)?.get('decisions') as Y.Map<unknown>).toJSON();
      expect(shown).toEqual({
        [owner.userId]: expect.objectContaining({ approved: true, comment: 'api' }),
        [editor.userId]: expect.objectContaining({ approved: true, comment: 'doc' }),
      });
    } finally {
      browser.destroy();
    }
  });

  it(
    "refuses a changed mind written over one's own decision " + 'in the document, and shows the recorded decision',
    async () => {
      const browser = connectDashboard(baton.url, dashboardId, { token: editor.secret });
      try {
        await eventually(
          () => browser.state.provider.isSynced && browser.dashboard.provider.isSynced,
          20_000,
          'synced',
        );
        const id = await run(`
name: changed-mind
steps:
  - { id: gate, kind: approval, prompt: "Sure?", quorum: 2 }
`);
        const approvals = browser.state.doc.getMap<Y.Map<unknown>>('approvals');
        const entry = await eventually(() => approvals.get(`${id}:gate`), 10_000, 'the approval in the document');
        const decisions = new Y.Map<unknown>();
        browser.dashboard.doc.getMap<Y.Map<unknown>>('decisions').set(`${id}:gate`, decisions);
        decisions.set(editor.userId, { approved: true, comment: 'yes' });
        await until(id, (s) => s.steps.gate?.decisions.length === 1, 'the decision recorded');
        await eventually(
          () => ((entry.get('decisions') as Y.Map<unknown>).has(editor.userId) ? true : undefined),
          10_000,
          'the recorded decision shown',
        );
        decisions.set(editor.userId, { approved: false, comment: 'actually no' });
        // The owner's approval through the API comes after the changed mind: the quorum of two is
        // reached with the editor's first word (a second decision of theirs is refused).
        await eventually(
          () => (browser.dashboard.provider.unsyncedChanges === 0 ? true : undefined),
          10_000,
          'the changed mind stored',
        );
        expect((await api('POST', `/v1/executions/${id}/steps/gate/approve`, owner.secret)).status).toBe(200);
        await until(id, (s) => s.status === 'succeeded', 'the execution succeeded');
        await eventually(
          () => (entry.get('status') === 'approved' ? true : undefined),
          10_000,
          'the document shows it approved',
        );
        expect((entry.get('decisions') as Y.Map<unknown>).get(editor.userId)).toMatchObject({
          approved: true,
          comment: 'yes',
        });
        const state = await execution(id);
        expect(state.steps.gate?.decisions).toEqual(
          expect.arrayContaining([expect.objectContaining({ userId: editor.userId, approved: true, comment: 'yes' })]),
        );
        expect((await history(id)).filter((e) => e.type === 'approval.decided')).toHaveLength(2);
      } finally {
        browser.destroy();
      }
    },
  );
});
