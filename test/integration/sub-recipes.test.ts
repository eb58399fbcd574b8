import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectDashboard } from '../support/realtime-client.ts';
import { createTeam, type Member } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Sub-recipes (docs/orchestrator.md, "Sub-recipes"), through the HTTP API against real Postgres.

let database: TestDatabase;
let baton: TestApp;
let owner: Member;
let editor: Member;
let viewer: Member;
let workspaceId: string;
let dashboardId: string;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);

type Step = {
  status: string;
  attempt: number;
  output: unknown;
  error: string | null;
  childExecutionId?: string | null;
};
type Execution = {
  id: string;
  status: string;
  reason: string | null;
  recipeId: string;
  recipeVersion: number;
  dashboardId: string;
  createdBy: string | null;
  steps: Record<string, Step>;
  parent?: { executionId: string; stepId: string; attempt: number; depth: number } | null;
  pinned?: Record<string, { recipeId: string; version: number }>;
};

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  ({ owner, editor, viewer, workspaceId, dashboardId } = await createTeam(baton, 'Nesting'));
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
  await baton.close();
  await database.drop();
});

async function createRecipe(yaml: string): Promise<string> {
  const made = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, { yaml });
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return made.body.id as string;
}
async function start(recipeId: string, inputs: Record<string, unknown> = {}): Promise<string> {
  const started = await api('POST', `/v1/recipes/${recipeId}/executions`, editor.secret, { dashboardId, inputs });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}
const execution = async (id: string): Promise<Execution> =>
  (await api('GET', `/v1/executions/${id}`, viewer.secret)).body as Execution;
const until = (id: string, check: (e: Execution) => boolean, what: string, timeoutMs = 20_000) =>
  eventually(
    async () => {
      const found = await execution(id);
      return check(found) ? found : undefined;
    },
    timeoutMs,
    what,
  );
const settled = (id: string, status: string) => until(id, (e) => e.status === status, `execution ${status}`);
/** The child the parent's step runs now (GET shows it on the step once it started). */
const childOf = async (parentId: string, stepId: string, attempt = 1): Promise<string> =>
  (
    await until(
      parentId,
      (e) => e.steps[stepId]?.attempt === attempt && typeof e.steps[stepId]?.childExecutionId === 'string',
      `the child of ${stepId}/${attempt}`,
    )
  ).steps[stepId]?.childExecutionId as string;
const children = async (
  parentId: string,
): Promise<Array<{ id: string; status: string; origin: { kind: string; id: string | null } }>> => {
  const page = await api(
    'GET',
    `/v1/workspaces/${workspaceId}/executions?origin=parent&originId=${parentId}`,
    viewer.secret,
  );
  expect(page.status, JSON.stringify(page.body)).toBe(200);
  return page.body.executions;
};
const history = async (id: string): Promise<Array<Record<string, unknown>>> =>
  (
    (await api('GET', `/v1/executions/${id}/events?limit=200`, viewer.secret)).body.events as Array<{
      event: Record<string, unknown>;
    }>
  ).map((e) => e.event);

/** A child that waits for an event named `go`, then says what it was given. */
const waiter = (name: string) => `
name: ${name}
inputs: { who: { type: string, default: "nobody" } }
steps:
  - { id: hold, kind: wait, event: { name: go } }
  - { id: say, kind: notify, channel: dashboard, message: "hello \${inputs.who}" }
`;

describe('a recipe step', () => {
  it('runs a child with its inputs, takes its output, and the parent goes on with it', async () => {
    await createRecipe(`
name: build
inputs: { target: { type: string }, count: { type: number } }
summary: "built \${inputs.target}"
steps:
  - { id: make, kind: agent, profile: coder, prompt: "build", input: { output: { artifact: \
"\${inputs.target}-\${inputs.count > 1 ? 'many' : 'one'}" } } }
`);
    const parentRecipe = await createRecipe(`
name: release
inputs: { name: { type: string }, n: { type: number } }
steps:
  - { id: build, kind: recipe, recipe: build, inputs: { target: "\${inputs.name}", count: "\${inputs.n}" } }
  - { id: tell, kind: notify, channel: dashboard, message: "got \${steps.build.output.outputs.make.artifact}" }
`);
    const parentId = await start(parentRecipe, { name: 'api', n: 2 });
    const done = await until(
      parentId,
      (e) => {
        if (e.status === 'failed') throw new Error(JSON.stringify(e));
        return e.status === 'succeeded';
      },
      'succeeded',
    );
    const childId = done.steps.build?.childExecutionId as string;
    expect(done.steps.build?.output).toMatchObject({
      executionId: childId,
      status: 'succeeded',
      summary: 'built api',
      outputs: { make: { artifact: 'api-many' } },
    });
    expect(done.steps.tell?.output).toEqual({ message: 'got api-many' });

    // The child: in the parent's dashboard, started by the parent's starter, says who its parent is.
    const child = await execution(childId);
    expect(child).toMatchObject({
      status: 'succeeded',
      dashboardId,
      createdBy: editor.userId,
      parent: { executionId: parentId, stepId: 'build', attempt: 1, depth: 1 },
    });
    expect((await children(parentId)).map((c) => [c.id, c.origin])).toEqual([
      [childId, { kind: 'parent', id: parentId }],
    ]);

    // The parent's history: the child started (its id), then the step completed with its outcome.
    const events = await history(parentId);
    expect(events.find((e) => e.type === 'child.started')).toMatchObject({
      stepId: 'build',
      attempt: 1,
      childExecutionId: childId,
    });
    expect(events.find((e) => e.type === 'step.completed' && e.stepId === 'build')?.output).toMatchObject({
      executionId: childId,
      status: 'succeeded',
    });

    // The dashboard shows it: the parent's step entry names the child, and the child has an entry of its own.
    const browser = connectDashboard(baton.url, dashboardId, { token: viewer.secret });
    try {
      const entries = browser.state.doc.getMap<{ steps: Record<string, { childExecutionId?: string }> }>('executions');
      await eventually(
        () =>
          entries.get(parentId)?.steps.build?.childExecutionId === childId && entries.has(childId) ? true : undefined,
        15_000,
        'the child in the dashboard',
      );
    } finally {
      browser.destroy();
    }
  });

  it('fails when its child fails; a retry starts a second child, one per attempt', async () => {
    await createRecipe(`
name: gated
steps:
  - { id: ok, kind: approval, prompt: "fine?" }
`);
    const parentRecipe = await createRecipe(`
name: retries
steps:
  - { id: sub, kind: recipe, recipe: gated, retry: { maxAttempts: 2, backoff: { initial: 10ms, factor: 1, max: 10ms } \
} }
`);
    const parentId = await start(parentRecipe);
    const first = await childOf(parentId, 'sub', 1);
    await until(first, (e) => e.status === 'waiting', 'the first child waits for its approval');
    expect(
      (await api('POST', `/v1/executions/${first}/steps/ok/reject`, editor.secret, { comment: 'no' })).status,
    ).toBe(200);
    const second = await childOf(parentId, 'sub', 2);
    expect(second).not.toBe(first);
    expect((await execution(first)).status).toBe('failed');
    await until(second, (e) => e.status === 'waiting', 'the second child waits for its approval');
    expect((await api('POST', `/v1/executions/${second}/steps/ok/approve`, editor.secret)).status).toBe(200);
    const done = await settled(parentId, 'succeeded');
    expect(done.steps.sub).toMatchObject({ status: 'succeeded', attempt: 2, childExecutionId: second });
    const found = await children(parentId);
    expect(found.map((c) => c.id).sort()).toEqual([first, second].sort());
    expect((await execution(first)).parent?.attempt).toBe(1);
    expect((await execution(second)).parent?.attempt).toBe(2);

    // Without retries left, the child's failure fails the parent, saying why.
    const once = await createRecipe(`
name: once
steps:
  - { id: sub, kind: recipe, recipe: gated }
`);
    const failing = await start(once);
    const only = await childOf(failing, 'sub');
    await until(only, (e) => e.status === 'waiting', 'the child waits');
    expect((await api('POST', `/v1/executions/${only}/steps/ok/reject`, editor.secret)).status).toBe(200);
    const failed = await settled(failing, 'failed');
    expect(failed.steps.sub?.error).toContain(`child execution ${only} failed`);
  });

  it('passes pause, resume and cancel of the parent on to its child', async () => {
    await createRecipe(waiter('held'));
    const parentRecipe = await createRecipe(`
name: holder
steps:
  - { id: sub, kind: recipe, recipe: held, inputs: { who: "parent" } }
`);
    const parentId = await start(parentRecipe);
    const childId = await childOf(parentId, 'sub');
    await until(childId, (e) => e.status === 'waiting', 'the child waits');
    expect((await api('POST', `/v1/executions/${parentId}/pause`, editor.secret)).status).toBe(200);
    await until(childId, (e) => e.status === 'paused', 'the child paused');
    expect((await api('POST', `/v1/executions/${parentId}/resume`, editor.secret)).status).toBe(200);
    await until(childId, (e) => e.status === 'waiting', 'the child resumed');
    expect((await api('POST', `/v1/executions/${parentId}/cancel`, editor.secret, { reason: 'enough' })).status).toBe(
      200,
    );
    const cancelled = await until(childId, (e) => e.status === 'cancelled', 'the child cancelled');
    expect(cancelled.reason).toContain(`parent execution ${parentId}`);
    // The child's history says the parent caused each.
    const events = await history(childId);
    for (const type of ['execution.paused', 'execution.resumed', 'execution.cancelled'])
      expect(events.find((e) => e.type === type)?.cause, type).toEqual({ executionId: parentId, stepId: 'sub' });
    expect((await execution(parentId)).status).toBe('cancelled');
  });

  it('times out: the child is cancelled and the step fails', async () => {
    await createRecipe(waiter('slow'));
    const parentRecipe = await createRecipe(`
name: impatient
steps:
  - { id: sub, kind: recipe, recipe: slow, timeout: 1500ms }
`);
    const parentId = await start(parentRecipe);
    const childId = await childOf(parentId, 'sub');
    const failed = await settled(parentId, 'failed');
    expect(failed.steps.sub).toMatchObject({ status: 'failed', error: 'the step timed out' });
    const child = await until(childId, (e) => e.status === 'cancelled', 'the child cancelled');
    expect(child.reason).toContain('the step timed out');
  });

  it('cancels the child when the parent passes its deadline', async () => {
    await createRecipe(waiter('outlived'));
    const parentRecipe = await createRecipe(`
name: hurried
deadline: 1500ms
steps:
  - { id: sub, kind: recipe, recipe: outlived }
`);
    const parentId = await start(parentRecipe);
    const childId = await childOf(parentId, 'sub');
    expect((await settled(parentId, 'failed')).reason).toBe('the execution passed its deadline');
    const child = await until(childId, (e) => e.status === 'cancelled', 'the child cancelled');
    expect(child.reason).toContain(`parent execution ${parentId}`);
  });

  it('runs the child version pinned when the parent started, also after a new version is pushed', async () => {
    const childRecipe = await createRecipe(waiter('pinned-child'));
    const parentRecipe = await createRecipe(`
name: pins
steps:
  - { id: first, kind: wait, event: { name: start } }
  - { id: sub, kind: recipe, recipe: pinned-child }
`);
    const parentId = await start(parentRecipe);
    expect((await execution(parentId)).pinned).toEqual({ sub: { recipeId: childRecipe, version: 1 } });
    const v2 = await api('PUT', `/v1/recipes/${childRecipe}`, owner.secret, {
      yaml: `
name: pinned-child
steps:
  - { id: other, kind: notify, channel: dashboard, message: "version two" }
`,
    });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect((await api('POST', `/v1/executions/${parentId}/events`, editor.secret, { name: 'start' })).status).toBe(200);
    const childId = await childOf(parentId, 'sub');
    const child = await until(childId, (e) => e.status === 'waiting', 'the child (version 1) waits');
    expect(child.recipeVersion).toBe(1);
    expect(Object.keys(child.steps)).toContain('hold');
    expect((await api('POST', `/v1/executions/${childId}/events`, editor.secret, { name: 'go' })).status).toBe(200);
    const done = await settled(parentId, 'succeeded');
    expect(done.steps.sub?.output).toMatchObject({ outputs: { say: { message: 'hello nobody' } } });
    // A parent started now runs the new version.
    const later = await start(parentRecipe);
    expect((await execution(later)).pinned).toEqual({ sub: { recipeId: childRecipe, version: 2 } });
  });

  it(
    'starts one child per attempt when the start job is ' + 'delivered again (as after a crash before its ack)',
    async () => {
      const childRecipe = await createRecipe(waiter('once-only'));
      const parentRecipe = await createRecipe(`
name: redelivered
steps:
  - { id: sub, kind: recipe, recipe: once-only }
`);
      const parentId = await start(parentRecipe);
      const childId = await childOf(parentId, 'sub');
      // The same start job twice more, as pg-boss delivers one whose completion was not recorded.
      const job = {
        kind: 'start_child',
        key: `${parentId}/sub/1`,
        stepId: 'sub',
        attempt: 1,
        recipeId: childRecipe,
        version: 1,
        inputs: {},
        executionId: parentId,
      };
      await sql`insert into job_outbox (topic, data) values ('orchestrator.start_child', ${JSON.stringify(job)}::jsonb),
      ('orchestrator.start_child', ${JSON.stringify(job)}::jsonb)`.execute(baton.db);
      await eventually(
        async () => {
          const { rows } = await sql<{
            n: number;
          }>`select count(*)::int as n from pgboss.job where name = 'orchestrator.start_child'
          and data->>'executionId' = ${parentId} and state = 'completed'`.execute(baton.db);
          return (rows[0]?.n ?? 0) >= 3 ? true : undefined;
        },
        20_000,
        'the start jobs done',
      );
      expect((await children(parentId)).map((c) => c.id)).toEqual([childId]);
      expect((await history(parentId)).filter((e) => e.type === 'child.started')).toHaveLength(1);
      expect((await api('POST', `/v1/executions/${childId}/events`, editor.secret, { name: 'go' })).status).toBe(200);
      expect((await settled(parentId, 'succeeded')).steps.sub?.childExecutionId).toBe(childId);
    },
  );

  it('stops nesting at depth 5: recipes that start each other fail with a clear error', async () => {
    const a = await createRecipe(`
name: ping
steps:
  - { id: hold, kind: wait, for: 1ms }
`);
    await createRecipe(`
name: pong
steps:
  - { id: back, kind: recipe, recipe: ping }
`);
    const updated = await api('PUT', `/v1/recipes/${a}`, owner.secret, {
      yaml: `
name: ping
steps:
  - { id: there, kind: recipe, recipe: pong }
`,
    });
    expect(updated.status, JSON.stringify(updated.body)).toBe(200);
    const top = await start(a);
    const failed = await settled(top, 'failed');
    expect(failed.reason).toContain('sub-recipes nest at most 5 deep');
    // Five levels of children, one each.
    let level = top;
    for (let depth = 1; depth <= 5; depth++) {
      const found = await children(level);
      expect(found, `children at depth ${depth}`).toHaveLength(1);
      level = found[0]?.id as string;
      expect((await execution(level)).parent?.depth).toBe(depth);
    }
    expect(await children(level)).toEqual([]);
  });
});

describe('checks when a recipe is saved', () => {
  const refused = async (yaml: string, recipeId?: string) => {
    const res =
      recipeId === undefined
        ? await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, { yaml })
        : await api('PUT', `/v1/recipes/${recipeId}`, owner.secret, { yaml });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    return (res.body.error.details.issues as Array<{ path: string; message: string }>).map((i) => [i.path, i.message]);
  };

  it('names the path of each problem: unknown, archived, itself, inputs', async () => {
    await createRecipe(`
name: typed
inputs: { size: { type: number }, label: { type: string, default: "x" } }
steps:
  - { id: a, kind: notify, channel: dashboard, message: hi }
`);
    expect(
      await refused(`
name: p1
steps:
  - { id: a, kind: recipe, recipe: no-such-recipe }
`),
    ).toEqual([['steps.0.recipe', 'there is no recipe "no-such-recipe" in this workspace']]);
    const issues = await refused(`
name: p2
steps:
  - { id: a, kind: notify, channel: dashboard, message: hi }
  - { id: b, kind: recipe, recipe: typed, inputs: { bogus: 1, label: 3 } }
  - { id: c, kind: recipe, recipe: typed, inputs: { size: "\${inputs.whatever}" } }
`);
    expect(issues).toEqual([
      ['steps.1.inputs.bogus', 'the recipe "typed" declares no input "bogus"'],
      ['steps.1.inputs.label', 'the recipe "typed" expects a string, got number'],
      ['steps.1.inputs', 'the recipe "typed" requires "size" (number)'],
    ]);
    const archived = await createRecipe(waiter('old'));
    expect((await api('POST', `/v1/recipes/${archived}/archive`, owner.secret)).status).toBe(200);
    expect(
      await refused(`
name: p3
steps:
  - { id: par, kind: parallel, branches: [ { steps: [ { id: x, kind: recipe, recipe: old } ] }, { steps: [ { id: y, \
kind: recipe, recipe: "${archived}" } ] } ] }
`),
    ).toEqual([
      ['steps.0.branches.0.steps.0.recipe', 'the recipe "old" is archived; restore it first'],
      ['steps.0.branches.1.steps.0.recipe', 'the recipe "old" is archived; restore it first'],
    ]);
    const self = await createRecipe(waiter('selfish'));
    expect(
      await refused(
        `
name: selfish
steps:
  - { id: me, kind: recipe, recipe: "${self}" }
`,
        self,
      ),
    ).toEqual([['steps.0.recipe', 'a recipe cannot run itself']]);
    expect(
      await refused(
        `
name: selfish
steps:
  - { id: me, kind: recipe, recipe: selfish }
`,
        self,
      ),
    ).toEqual([['steps.0.recipe', 'a recipe cannot run itself']]);
  });

  it('cannot reference a recipe of another workspace, by id or by name', async () => {
    const stranger = await bootstrapToken(baton.ctx, { email: 'stranger@example.com', workspaceName: 'Elsewhere' });
    const theirs = await api('POST', `/v1/workspaces/${stranger.workspace?.id}/recipes`, stranger.secret, {
      yaml: waiter('secret-recipe'),
    });
    expect(theirs.status).toBe(201);
    expect(
      await refused(`
name: peek
steps:
  - { id: a, kind: recipe, recipe: "${theirs.body.id}" }
  - { id: b, kind: recipe, recipe: secret-recipe }
`),
    ).toEqual([
      ['steps.0.recipe', `there is no recipe "${theirs.body.id}" in this workspace`],
      ['steps.1.recipe', 'there is no recipe "secret-recipe" in this workspace'],
    ]);
  });
});
