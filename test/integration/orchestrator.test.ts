import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decide, initialState } from '../../src/domain/orchestrator/decide.ts';
import type { ExecutionEvent, ExecutionState } from '../../src/domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../src/domain/orchestrator/recipe.ts';
import { createCelExpressions } from '../../src/app/orchestrator/cel-expressions.ts';
import { Engine } from '../../src/app/orchestrator/engine.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { callApi, sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import * as Y from 'yjs';
import { eventually } from '../support/eventually.ts';
import { connectDashboard } from '../support/realtime-client.ts';
import { createTeam, type Member } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

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
  // The webhook test's receiver listens on loopback, which the egress policy refuses unless allowed.
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_EGRESS_ALLOW: '127.0.0.1',
  });
  ({ owner, editor, viewer, workspaceId, dashboardId } = await createTeam(baton, 'Orchestra'));
  expect(
    (
      await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
        name: 'coder',
        model: 'test-model',
        tools: ['git'],
        promptTemplate: 'You are careful. ${prompt}',
      })
    ).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

/** Creates a recipe from YAML and starts it; returns the execution id. */
async function run(yaml: string, inputs: Record<string, unknown> = {}): Promise<{ id: string; recipeId: string }> {
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, { dashboardId, inputs });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return { id: started.body.id, recipeId: recipe.body.id };
}

const execution = async (id: string) =>
  (await api('GET', `/v1/executions/${id}`, viewer.secret)).body as ExecutionState & { status: string };
const settled = async (id: string, status: string, timeoutMs = 10_000): Promise<ExecutionState> => {
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
const stepIs = (id: string, stepId: string, status: string) =>
  eventually(
    async () => ((await execution(id)).steps[stepId]?.status === status ? true : undefined),
    10_000,
    `${stepId} ${status}`,
  );

describe('the orchestrator, end to end with the local execution plane', () => {
  it('runs agent steps with templates and the profile, then notes the result in the dashboard', async () => {
    const { id } = await run(
      `
name: hello
inputs: { repo: { type: string } }
steps:
  - { id: triage, kind: agent, profile: coder, prompt: "Triage \${inputs.repo}", input: { output: { count: 2, summary: \
"two bugs" } } }
  - { id: fix, kind: agent, profile: coder, prompt: "Fix \${steps.triage.output.summary}" }
  - { id: tell, kind: notify, channel: dashboard, message: "Done: \${steps.triage.output.summary}" }
`,
      { repo: 'acme/api' },
    );
    const done = await settled(id, 'succeeded');
    expect(done.steps.triage?.output).toEqual({ count: 2, summary: 'two bugs' });
    expect((done.steps.fix?.output as { summary: string }).summary).toBe('coder ran: You are careful. Fix two bugs');
    const ledger = await sandboxLedger(baton.sandboxUrl);
    expect(ledger.filter((r) => r.idempotencyKey.startsWith(id)).map((r) => [r.idempotencyKey, r.requests])).toEqual([
      [`${id}/triage/1`, 1],
      [`${id}/fix/1`, 1],
    ]);
    const note = await eventually(
      async () => {
        const list = (await api('GET', `/v1/dashboards/${dashboardId}/items`, viewer.secret)).body.items as Array<{
          body: string;
        }>;
        return list.find((i) => i.body === 'Done: two bugs');
      },
      20_000,
      'the note',
    );
    expect(note).toBeDefined();
  });

  it('retries failed attempts with new keys, and gives up after the last', async () => {
    const ok = await run(`
name: flaky
steps:
  - { id: a, kind: agent, profile: coder, prompt: go, input: { failAttempts: 2 }, retry: { maxAttempts: 3, backoff: { \
initial: 50ms, factor: 2, max: 1s } } }
`);
    expect((await settled(ok.id, 'succeeded')).steps.a).toMatchObject({ status: 'succeeded', attempt: 3 });
    const ledger = await sandboxLedger(baton.sandboxUrl);
    for (const n of [1, 2, 3]) expect(ledger.filter((r) => r.idempotencyKey === `${ok.id}/a/${n}`)).toHaveLength(1);
    const bad = await run(`
name: broken
steps:
  - { id: a, kind: agent, profile: coder, prompt: go, input: { outcome: fail-retryable }, retry: { maxAttempts: 2, \
backoff: { initial: 10ms, factor: 1, max: 10ms } } }
`);
    expect(await settled(bad.id, 'failed')).toMatchObject({ reason: expect.stringContaining('step a failed') });
  });

  it('times a hanging step out; a human skips it with an output and the execution goes on', async () => {
    const { id } = await run(`
name: hang
steps:
  - { id: stuck, kind: agent, profile: coder, prompt: go, input: { outcome: hang }, timeout: 300ms }
  - { id: after, kind: agent, profile: coder, prompt: "got \${steps.stuck.output}" }
`);
    const failed = await settled(id, 'failed');
    expect(failed.steps.stuck).toMatchObject({ status: 'failed', error: 'the step timed out' });
    expect((await api('POST', `/v1/executions/${id}/steps/after/retry`, editor.secret)).status).toBe(409);
    expect(
      (await api('POST', `/v1/executions/${id}/steps/stuck/skip`, viewer.secret, { output: 'manual' })).status,
    ).toBe(403);
    expect(
      (await api('POST', `/v1/executions/${id}/steps/stuck/skip`, editor.secret, { output: 'manual' })).status,
    ).toBe(200);
    const done = await settled(id, 'succeeded');
    expect((done.steps.after?.output as { summary: string }).summary).toContain('got manual');
  });

  it('waits for a quorum of approvals; a rejection takes the onReject path', async () => {
    const yaml = `
name: gate
steps:
  - { id: gate, kind: approval, prompt: "Ship?", quorum: 2, onReject: no }
  - { id: ship, kind: agent, profile: coder, prompt: ship, next: end }
  - { id: no, kind: notify, channel: dashboard, message: "not shipped" }
`;
    const yes = await run(yaml);
    await stepIs(yes.id, 'gate', 'waiting');
    expect((await execution(yes.id)).status).toBe('waiting');
    expect(
      (await api('POST', `/v1/executions/${yes.id}/steps/gate/approve`, owner.secret, { comment: 'fine' })).status,
    ).toBe(200);
    expect((await api('POST', `/v1/executions/${yes.id}/steps/ship/approve`, owner.secret)).status).toBe(409);
    expect((await api('POST', `/v1/executions/${yes.id}/steps/gate/approve`, editor.secret)).status).toBe(200);
    const shipped = await settled(yes.id, 'succeeded');
    expect(shipped.steps.gate?.decisions.map((d) => d.userId).sort()).toEqual([owner.userId, editor.userId].sort());
    expect(shipped.steps.ship?.status).toBe('succeeded');

    const no = await run(yaml);
    await stepIs(no.id, 'gate', 'waiting');
    await api('POST', `/v1/executions/${no.id}/steps/gate/reject`, editor.secret, { comment: 'not today' });
    const rejected = await settled(no.id, 'succeeded');
    expect(rejected.steps.ship).toBeUndefined();
    expect(rejected.steps.no?.status).toBe('succeeded');
  });

  it('waits for a duration and for a matching event, branches, and runs parallel branches', async () => {
    const { id } = await run(`
name: flow
steps:
  - { id: nap, kind: wait, for: 200ms }
  - { id: hook, kind: wait, event: { name: push, match: "event.branch == 'main'" } }
  - { id: both, kind: parallel, branches: [ { steps: [ { id: x, kind: agent, profile: coder, prompt: x, input: { \
output: 5 } } ] }, { steps: [ { id: y, kind: agent, profile: coder, prompt: y, input: { duration: 50 } } ] } ] }
  - { id: route, kind: branch, cases: [ { if: "steps.x.output > 3", goto: big } ], else: small }
  - { id: big, kind: notify, channel: dashboard, message: big, next: end }
  - { id: small, kind: notify, channel: dashboard, message: small }
`);
    await stepIs(id, 'hook', 'waiting');
    await api('POST', `/v1/executions/${id}/events`, owner.secret, { name: 'push', payload: { branch: 'dev' } });
    expect((await execution(id)).steps.hook?.status).toBe('waiting');
    await api('POST', `/v1/executions/${id}/events`, owner.secret, { name: 'push', payload: { branch: 'main' } });
    const done = await settled(id, 'succeeded');
    expect(done.steps.route?.output).toEqual({ chosen: 'big' });
    expect(done.steps.small).toBeUndefined();
    expect(done.steps.both?.status).toBe('succeeded');
  });

  it('pauses, resumes, edits a future input, moves to a newer version, and cancels', async () => {
    const v1 = `
name: long
steps:
  - { id: a, kind: agent, profile: coder, prompt: a, input: { duration: 300 } }
  - { id: b, kind: agent, profile: coder, prompt: b }
  - { id: c, kind: agent, profile: coder, prompt: "old c", input: { outcome: hang } }
`;
    const { id, recipeId } = await run(v1);
    expect(
      (await api('POST', `/v1/executions/${id}/steps/b/input`, editor.secret, { input: { output: 'edited b' } }))
        .status,
    ).toBe(200);
    expect((await api('POST', `/v1/executions/${id}/pause`, editor.secret)).status).toBe(200);
    expect((await api('POST', `/v1/executions/${id}/pause`, editor.secret)).status).toBe(409);
    await stepIs(id, 'a', 'succeeded');
    expect((await execution(id)).steps.b?.status).toBe('pending');
    const v2 = await api('PUT', `/v1/recipes/${recipeId}`, owner.secret, {
      yaml: v1.replace('prompt: "old c", input: { outcome: hang }', 'prompt: "new c"'),
    });
    expect(v2.body.latestVersion).toBe(2);
    expect((await api('POST', `/v1/executions/${id}/move`, editor.secret, { version: 2 })).status).toBe(200);
    expect((await api('POST', `/v1/executions/${id}/resume`, editor.secret)).status).toBe(200);
    const done = await settled(id, 'succeeded');
    expect(done.steps.b?.output).toBe('edited b');
    expect((done.steps.c?.output as { summary: string }).summary).toContain('new c');
    expect(done.recipeVersion).toBe(2);

    const doomed = await run(v1.replace('duration: 300', 'outcome: hang'));
    await stepIs(doomed.id, 'a', 'running');
    expect(
      (await api('POST', `/v1/executions/${doomed.id}/cancel`, editor.secret, { reason: 'enough' })).body,
    ).toMatchObject({ status: 'cancelled', reason: 'enough' });
    expect((await api('POST', `/v1/executions/${doomed.id}/resume`, editor.secret)).status).toBe(409);
  });

  it('records every event with its actor; replaying the history rebuilds the stored state', async () => {
    const { id, recipeId } = await run(`
name: audit
steps:
  - { id: gate, kind: approval, prompt: ok }
  - { id: a, kind: agent, profile: coder, prompt: a }
`);
    await stepIs(id, 'gate', 'waiting');
    await api('POST', `/v1/executions/${id}/steps/gate/approve`, editor.secret);
    const final = await settled(id, 'succeeded');
    const events: ExecutionEvent[] = [];
    let after = 0;
    for (;;) {
      const page = await api('GET', `/v1/executions/${id}/events?after=${after}&limit=2`, viewer.secret);
      events.push(...(page.body.events as Array<{ event: ExecutionEvent }>).map((e) => e.event));
      if (page.body.next === null) break;
      after = page.body.next;
    }
    expect(events.map((e) => e.type)).toEqual(['execution.started', 'approval.decided', 'step.completed']);
    expect(events[1]?.actor).toEqual({ kind: 'user', userId: editor.userId });
    const compiled = (await api('GET', `/v1/recipes/${recipeId}`, viewer.secret)).body.latest
      .compiled as CompiledRecipe;
    let state = initialState({ id, recipeId, recipeVersion: 1, startedAt: 0 });
    for (const event of events)
      state = decide(state, event, { recipe: () => compiled, expressions: createCelExpressions() }).state;
    // The API adds what the view knows besides the state (where it lives, who started it, what it waits for).
    const stored = Object.fromEntries(
      Object.keys(state).map((key) => [key, (final as unknown as Record<string, unknown>)[key]]),
    );
    expect(state).toEqual(stored);
  });

  it('applies events from several processes at once without losing or doubling one', async () => {
    const { id } = await run(`
name: busy
steps:
  - { id: hold, kind: wait, event: { name: go, match: "event.n == 999" } }
`);
    await stepIs(id, 'hold', 'waiting');
    // Two more engines over the same database stand in for two more Baton processes; the server's own
    // engine takes the HTTP events (through the locked path), theirs take the rest (compare-and-set).
    const engine = () =>
      new Engine({
        unitOfWork: baton.ctx.unitOfWork,
        executions: baton.ctx.executions,
        recipes: baton.ctx.recipes,
        outbox: { kick: () => undefined },
        clock: baton.ctx.clock,
        expressions: createCelExpressions(),
        logger: silentLogger,
      });
    const [a, b] = [engine(), engine()];
    const sent = Array.from({ length: 30 }, (_, n) => n);
    await Promise.all(
      sent.map(async (n) => {
        const body = { type: 'event.received', name: 'go', payload: { n } } as const;
        if (n % 3 === 0)
          expect(
            (await api('POST', `/v1/executions/${id}/events`, editor.secret, { name: 'go', payload: { n } })).status,
          ).toBe(200);
        else await (n % 3 === 1 ? a : b).apply(id, body);
      }),
    );
    const history = (await api('GET', `/v1/executions/${id}/events?limit=100`, viewer.secret)).body.events as Array<{
      seq: number;
      event: ExecutionEvent;
    }>;
    expect(history.map((e) => e.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    const received = history.flatMap((e) =>
      e.event.type === 'event.received' ? [(e.event.payload as { n: number }).n] : [],
    );
    expect(received.sort((x, y) => x - y)).toEqual(sent);
    expect((await execution(id)).version).toBe(31);
  });

  it('records a step result once, however often it is reported (two instances, a late report)', async () => {
    const { id } = await run(`
name: reported twice
steps:
  - { id: build, kind: agent, profile: coder, prompt: "build" }
  - { id: hold, kind: wait, event: { name: go } }
`);
    await stepIs(id, 'hold', 'waiting');
    const before = (await api('GET', `/v1/executions/${id}/events?limit=100`, viewer.secret)).body.events as Array<{
      event: ExecutionEvent;
    }>;
    // Two more engines stand in for two more Baton processes that heard the same result again.
    const engine = () =>
      new Engine({
        unitOfWork: baton.ctx.unitOfWork,
        executions: baton.ctx.executions,
        recipes: baton.ctx.recipes,
        outbox: { kick: () => undefined },
        clock: baton.ctx.clock,
        expressions: createCelExpressions(),
        logger: silentLogger,
      });
    await Promise.all(
      [engine(), engine()].flatMap((e) => [
        e.apply(id, { type: 'step.completed', stepId: 'build', attempt: 1, output: { again: true } }),
        e.apply(id, { type: 'step.failed', stepId: 'build', attempt: 1, error: 'late', retryable: false }),
      ]),
    );
    const after = (await api('GET', `/v1/executions/${id}/events?limit=100`, viewer.secret)).body.events as Array<{
      event: ExecutionEvent;
    }>;
    expect(after.map((e) => e.event.type)).toEqual(before.map((e) => e.event.type));
    expect((await execution(id)).steps.build?.output).not.toEqual({ again: true });
  });

  it('refuses an invalid recipe with the path of each problem, and bad inputs by name', async () => {
    const bad = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, {
      recipe: {
        name: 'bad',
        steps: [
          { id: 'a', kind: 'teleport' },
          { id: 'b', kind: 'branch', cases: [{ if: 'steps.a.output >', goto: 'nowhere' }] },
        ],
      },
    });
    expect(bad.status).toBe(400);
    const paths = (bad.body.error.details.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['steps.0.kind', 'steps.1.cases.0.goto', 'steps.1.cases.0.if']));
    const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, {
      yaml:
        'name: typed\ninputs: { n: { type: number } }\nsteps:\n  - ' +
        '{ id: a, kind: notify, channel: dashboard, message: hi }\n',
    });
    const wrong = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, {
      dashboardId,
      inputs: { n: 'three', extra: 1 },
    });
    expect(wrong.status).toBe(400);
    expect((wrong.body.error.details.issues as Array<{ path: string }>).map((i) => i.path).sort()).toEqual([
      'inputs.extra',
      'inputs.n',
    ]);
    expect((await api('POST', `/v1/recipes/${recipe.body.id}/executions`, viewer.secret, { dashboardId })).status).toBe(
      403,
    );
  });

  it('shows executions in their dashboard as they happen, and takes approvals from the document itself', async () => {
    const browser = connectDashboard(baton.url, dashboardId, { token: editor.secret });
    try {
      await eventually(() => browser.state.provider.isSynced && browser.dashboard.provider.isSynced, 20_000, 'synced');
      const { id } = await run(`
name: doc-approval
steps:
  - { id: work, kind: agent, profile: coder, prompt: work, input: { output: { summary: "did the work" } } }
  - { id: gate, kind: approval, prompt: "Ship \${steps.work.output.summary}?", quorum: 2 }
  - { id: ship, kind: agent, profile: coder, prompt: ship }
`);
      // Shown in the state document, which only the server writes.
      const approval = await eventually(
        () => browser.state.doc.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`),
        10_000,
        'the approval in the document',
      );
      expect(approval.get('prompt')).toBe('Ship did the work?');
      expect(approval.get('status')).toBe('waiting');
      const shown = browser.state.doc.getMap('executions').get(id) as {
        status: string;
        steps: Record<string, { summary: string | null }>;
      };
      expect(shown.status).toBe('waiting');
      expect(shown.steps.work?.summary).toBe('did the work');

      // Decided in the dashboard document: `decisions` → approval key → the writer's own id.
      const decisions = new Y.Map<unknown>();
      browser.dashboard.doc.getMap<Y.Map<unknown>>('decisions').set(`${id}:gate`, decisions);
      // Writing a decision in someone else's name does nothing.
      decisions.set(owner.userId, { approved: true, comment: 'forged' });
      decisions.set(editor.userId, { approved: true, comment: 'from the dashboard' });
      await eventually(
        async () => ((await execution(id)).steps.gate?.decisions.length === 1 ? true : undefined),
        20_000,
        'the decision applied',
      );
      const gate = (await execution(id)).steps.gate;
      expect(gate?.decisions).toEqual([
        expect.objectContaining({ userId: editor.userId, approved: true, comment: 'from the dashboard' }),
      ]);
      // The owner approves through the API: the quorum is reached, and the document follows.
      await api('POST', `/v1/executions/${id}/steps/gate/approve`, owner.secret);
      await settled(id, 'succeeded');
      await eventually(
        () => (browser.state.doc.getMap('executions').get(id) as { status: string }).status === 'succeeded',
        20_000,
        'the document shows success',
      );
      expect(approval.get('status')).toBe('approved');
    } finally {
      browser.destroy();
    }
  });

  it(
    'notifies a webhook with the idempotency key, waits for ' +
      'its answer, and retries it as a new attempt when it fails',
    async () => {
      const received: Array<{ key: string | undefined; body: { message: string; stepId: string } }> = [];
      let failures = 1;
      const hook = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push({
            key: req.headers['idempotency-key'] as string | undefined,
            body: JSON.parse(body) as { message: string; stepId: string },
          });
          res.writeHead(failures-- > 0 ? 500 : 204).end();
        });
      });
      await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', () => resolve()));
      try {
        const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
        const { id } = await run(
          `
name: hooked
inputs: { who: { type: string } }
steps:
  - { id: ping, kind: notify, channel: webhook, url: "${url}", message: "hello \${inputs.who}" }
`,
          { who: 'team' },
        );
        const done = await settled(id, 'succeeded');
        expect(done.steps.ping).toMatchObject({
          status: 'succeeded',
          attempt: 2,
          output: { message: 'hello team', status: 204 },
        });
        expect(received.map((r) => r.key)).toEqual([`${id}/ping/1`, `${id}/ping/2`]);
        expect(received[1]?.body).toMatchObject({ message: 'hello team', stepId: 'ping' });
      } finally {
        hook.close();
      }
    },
  );
});
