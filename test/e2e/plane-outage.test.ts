import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxLedger } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';
import { createPlaneFixture, type PlaneFixture } from '../support/plane-fixture.ts';

/**
 * Issue 18: nothing a sandbox reported is lost to an outage of Baton, however long. The server
 * (`BATON_SANDBOX_PROVIDER=http`, the local plane as its own process) is killed while agent runs
 * are under way and stays down for 30 s, far past the old six-second callback budget, while the runs
 * report progress and artifacts and end: one with an output the next step uses, one failing for good.
 * After the restart every output, error and report has arrived, in order and once; the failed step
 * did not run again (the plane's ledger), and the history holds exactly what happened. Then the
 * same with the plane itself killed and restarted during the outage (its journal keeps what its
 * sandboxes reported).
 */
let fixture: PlaneFixture;

const outageMs = 30_000;
const retry = 'retry: { maxAttempts: 3, backoff: { initial: 100ms, factor: 1, max: 100ms } }';
const recipes = {
  ok: `name: ok
steps:
  - { id: work, kind: agent, profile: coder, prompt: work, ${retry}, input: { duration: 3000, progress: [{ message: \
"cloned", percent: 30 }, { message: "tested", percent: 60 }], artifacts: [{ kind: link, title: "The PR", url: \
"https://example.com/pr/42" }], output: { pr: 42 } } }
  - { id: after, kind: agent, profile: coder, prompt: "merge \${steps.work.output.pr}", ${retry} }
`,
  bad: `name: bad
steps:
  - { id: work, kind: agent, profile: coder, prompt: deploy, ${retry}, input: { duration: 3000, progress: [{ message: \
"deploying", percent: 50 }], outcome: fail, error: "the deploy was refused: the environment is frozen" } }
`,
};

type Execution = {
  status: string;
  steps: Record<string, { status: string; attempt: number; output: unknown; error: string | null }>;
};
type HistoryEvent = {
  type: string;
  stepId?: string;
  attempt?: number;
  output?: unknown;
  error?: string;
  retryable?: boolean;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  fixture = await createPlaneFixture('plane-outage');
  await fixture.startServer();
  expect(
    (await fixture.api('POST', `/v1/workspaces/${fixture.workspaceId}/agent-profiles`, { name: 'coder', model: 'm' }))
      .status,
  ).toBe(201);
});
afterAll(() => fixture.close());

const api = (method: string, path: string, body?: unknown) => fixture.api(method, path, body);

/** Starts one execution of each recipe and waits until the plane has started their first runs. */
async function startRuns(): Promise<{ ok: string; bad: string }> {
  const ids: Record<string, string> = {};
  for (const [name, yaml] of Object.entries(recipes)) {
    const recipeId = (
      await api('POST', `/v1/workspaces/${fixture.workspaceId}/recipes`, {
        yaml: yaml.replace(/^name: (\w+)/, `name: $1-${Date.now()}`),
      })
    ).body.id as string;
    ids[name] = (await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId: fixture.dashboardId })).body
      .id as string;
  }
  const started = { ok: ids.ok ?? '', bad: ids.bad ?? '' };
  await eventually(
    async () => {
      const keys = (await sandboxLedger(fixture.plane.url)).map((r) => r.idempotencyKey);
      return keys.includes(`${started.ok}/work/1`) && keys.includes(`${started.bad}/work/1`) ? true : undefined;
    },
    20_000,
    'both runs started in the plane',
  );
  return started;
}

async function finished(id: string): Promise<Execution> {
  return await eventually(
    async () => {
      const body = (await api('GET', `/v1/executions/${id}`)).body as unknown as Execution;
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    },
    60_000,
    `execution ${id} to finish`,
  ).catch(async (error: unknown) => {
    console.log('on failure:', JSON.stringify((await api('GET', `/v1/executions/${id}`)).body).slice(0, 2000));
    console.log(
      'on failure, runs',
      JSON.stringify(
        await fixture.db.selectFrom('sandbox_runs').select(['run_key', 'status', 'epoch', 'error']).execute(),
      ),
    );
    console.log('on failure, server', fixture.server?.output().slice(-4000));
    console.log('on failure, plane', fixture.plane.output().slice(-4000));
    throw error;
  });
}

async function history(id: string): Promise<HistoryEvent[]> {
  return ((await api('GET', `/v1/executions/${id}/events?limit=200`)).body.events as { event: HistoryEvent }[]).map(
    (e) => e.event,
  );
}

/**
 * Everything the runs reported arrived, once, in order; the failure is final and ran
 * once; the history holds what happened.
 */
async function expectEverythingArrived(ids: { ok: string; bad: string }): Promise<void> {
  const ok = await finished(ids.ok);
  const bad = await finished(ids.bad);
  // The output arrived, so the next step's prompt could use it.
  expect(ok).toMatchObject({
    status: 'succeeded',
    steps: {
      work: { status: 'succeeded', attempt: 1, output: { pr: 42 } },
      after: { status: 'succeeded', output: { summary: 'coder ran: merge 42' } },
    },
  });
  // The real error, final: no second attempt.
  expect(bad).toMatchObject({ status: 'failed', steps: { work: { status: 'failed', attempt: 1 } } });
  expect(bad.steps.work?.error).toContain('the deploy was refused: the environment is frozen');
  const keys = (await sandboxLedger(fixture.plane.url)).map((r) => r.idempotencyKey);
  expect(keys.filter((k) => k.startsWith(ids.bad))).toEqual([`${ids.bad}/work/1`]);
  expect(keys.filter((k) => k.startsWith(`${ids.ok}/work/`))).toEqual([`${ids.ok}/work/1`]);

  // Exactly what happened to the steps that ran through the outage, once each.
  const okWork = (await history(ids.ok)).filter((e) => e.stepId === 'work');
  expect(okWork.map((e) => [e.type, e.attempt])).toEqual([['step.completed', 1]]);
  expect(okWork[0]?.output).toEqual({ pr: 42 });
  const badWork = (await history(ids.bad)).filter((e) => e.stepId === 'work');
  expect(badWork).toEqual([
    expect.objectContaining({
      type: 'step.failed',
      attempt: 1,
      retryable: false,
      error: expect.stringContaining('the environment is frozen'),
    }),
  ]);

  // Progress and artifacts reported while the server was down: stored in order, each once.
  const events = await fixture.db
    .selectFrom('sandbox_events')
    .select(['type', 'seq'])
    .where('run_key', '=', `${ids.ok}/work/1`)
    .orderBy('seq')
    .execute();
  expect(events).toEqual([
    { type: 'run.started', seq: 1 },
    { type: 'run.progress', seq: 2 },
    { type: 'run.progress', seq: 3 },
    { type: 'run.artifact', seq: 4 },
    { type: 'run.completed', seq: 5 },
  ]);
  const badEvents = await fixture.db
    .selectFrom('sandbox_events')
    .select(['type', 'seq'])
    .where('run_key', '=', `${ids.bad}/work/1`)
    .orderBy('seq')
    .execute();
  expect(badEvents.map((e) => e.type)).toEqual(['run.started', 'run.progress', 'run.failed']);
  const run = await eventually(
    async () => {
      const row = await fixture.db
        .selectFrom('sandbox_runs')
        .selectAll()
        .where('run_key', '=', `${ids.ok}/work/1`)
        .executeTakeFirst();
      return row?.status === 'succeeded' ? row : undefined;
    },
    10_000,
    'the run recorded as ended',
  );
  expect(run.progress).toMatchObject({ message: 'tested', percent: 60 });
  const artifacts = await fixture.db.selectFrom('artifacts').selectAll().where('execution_id', '=', ids.ok).execute();
  expect(artifacts).toEqual([
    expect.objectContaining({ step_id: 'work', kind: 'link', title: 'The PR', url: 'https://example.com/pr/42' }),
  ]);
}

async function explain<T>(ids: { ok: string; bad: string }, check: () => Promise<T>): Promise<T> {
  try {
    return await check();
  } catch (error) {
    console.log('on failure, history', JSON.stringify(await history(ids.bad)).slice(0, 3000));
    console.log(
      'on failure, sessions',
      JSON.stringify(
        await fixture.db
          .selectFrom('sessions')
          .select(['id', 'status', 'epoch', 'ended_reason', 'execution_id'])
          .execute(),
      ),
    );
    console.log(
      'on failure, runs',
      JSON.stringify(
        await fixture.db.selectFrom('sandbox_runs').select(['run_key', 'status', 'epoch', 'error']).execute(),
      ),
    );
    console.log('on failure, server', fixture.server?.output().slice(-6000));
    console.log('on failure, plane', fixture.plane.output().slice(-6000));
    throw error;
  }
}

describe('an outage of Baton longer than any retry budget', () => {
  it('loses nothing the runs reported meanwhile', async () => {
    const ids = await startRuns();
    await fixture.killServer();
    await sleep(outageMs);
    await fixture.startServer();
    await expectEverythingArrived(ids);
  });

  it('loses nothing either when the plane is killed and restarted during the outage', async () => {
    const ids = await startRuns();
    await fixture.killServer();
    // The runs end (3 s) and their callbacks fail; then the plane process dies and comes back.
    await sleep(6_000);
    await fixture.restartPlane();
    await sleep(outageMs - 6_000);
    await fixture.startServer();
    await explain(ids, () => expectEverythingArrived(ids));
  });
});
