import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient } from '../support/realtime-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * What runs leave behind, read through the API (issue 20): an execution's artifacts (a preview each,
 * and each one whole), its runs in sandboxes with what they cost, and the summary it finishes with
 * (the recipe's template, else the last agent step's), in the API and in the dashboard document.
 * Only those who may read the execution see any of it.
 */
let database: TestDatabase;
let baton: TestApp;
let token: string;
let outsider: string;
let workspaceId: string;
let dashboardId: string;

const api = (method: string, path: string, body?: unknown, as = token) => callApi(baton.url, method, path, as, body);

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  const made = await bootstrapToken(baton.ctx, { email: 'artifacts@example.com', workspaceName: 'Artifacts' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Artifacts' }, 'setup')
  ).id;
  outsider = (await bootstrapToken(baton.ctx, { email: 'outsider@example.com', workspaceName: 'Elsewhere' })).secret;
  expect(
    (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

async function start(yaml: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}

type Execution = { status: string; summary: string | null; cost: { totalUsd: number; runs: number } };
const finished = async (id: string) =>
  await eventually(
    async () => {
      const body = (await api('GET', `/v1/executions/${id}`)).body as Execution;
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    },
    30_000,
    `execution ${id} to finish`,
  );

describe('artifacts and runs', () => {
  it('lists the artifacts with a preview, gives each whole, and lists the runs with their cost', async () => {
    const report = `${'finding '.repeat(700)}END`;
    const id = await start(`name: reported
steps:
  - id: a
    kind: agent
    profile: coder
    prompt: look
    input:
      progress: [{ message: "cloned", percent: 40, costUsd: 0.25 }]
      artifacts: [{ kind: report, title: "Findings", content: "${report}" }, { kind: link, title: "The PR", url: \
"https://example.com/pr/7" }]
      output: { summary: "looked around", pr: 7 }
  - id: b
    kind: agent
    profile: coder
    prompt: fix
    retry: { maxAttempts: 2, backoff: { initial: 10ms, factor: 1, max: 10ms } }
    input:
      failAttempts: 1
      progress: [{ message: "fixing", percent: 50, costUsd: 0.5 }]
      output: { summary: "Opened pull request 7" }
`);
    const done = await finished(id);
    expect(done.status).toBe('succeeded');

    const listed = await api('GET', `/v1/executions/${id}/artifacts`);
    expect(listed.status).toBe(200);
    expect(listed.body.next).toBeNull();
    expect(listed.body.artifacts).toEqual([
      expect.objectContaining({
        executionId: id,
        stepId: 'a',
        runKey: `${id}/a/1`,
        kind: 'report',
        title: 'Findings',
        url: null,
        size: report.length,
        preview: report.slice(0, 200),
      }),
      expect.objectContaining({
        executionId: id,
        stepId: 'a',
        kind: 'link',
        title: 'The PR',
        url: 'https://example.com/pr/7',
        size: 0,
        preview: null,
      }),
    ]);
    expect(listed.body.artifacts[0]).not.toHaveProperty('content');

    // The whole content, where the dashboard document keeps 2,000 characters.
    const whole = await api('GET', `/v1/artifacts/${listed.body.artifacts[0].id}`);
    expect(whole.status).toBe(200);
    expect(whole.body).toMatchObject({
      id: listed.body.artifacts[0].id,
      executionId: id,
      kind: 'report',
      title: 'Findings',
      size: report.length,
    });
    expect(whole.body.content).toBe(report);

    // Pages: after = the last id of a page.
    const first = await api('GET', `/v1/executions/${id}/artifacts?limit=1`);
    expect(first.body.artifacts.map((a: { title: string }) => a.title)).toEqual(['Findings']);
    const second = await api('GET', `/v1/executions/${id}/artifacts?limit=1&after=${first.body.next}`);
    expect(second.body.artifacts.map((a: { title: string }) => a.title)).toEqual(['The PR']);

    const runs = await api('GET', `/v1/executions/${id}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.body.runs.map((r: { runKey: string; status: string }) => [r.runKey, r.status])).toEqual([
      [`${id}/a/1`, 'succeeded'],
      [`${id}/b/1`, 'failed'],
      [`${id}/b/2`, 'succeeded'],
    ]);
    const [a] = runs.body.runs;
    expect(a).toMatchObject({
      stepId: 'a',
      attempt: 1,
      epoch: 1,
      costUsd: 0.25,
      progress: { message: 'cloned', percent: 40 },
      error: null,
    });
    expect(a.sessionId).toEqual(expect.any(String));
    expect(a.sandboxId).toEqual(expect.any(String));
    for (const run of runs.body.runs)
      expect(Date.parse(run.finishedAt)).toBeGreaterThanOrEqual(Date.parse(run.dispatchedAt));
    expect(runs.body.runs[1].error).toContain('scripted failure');
    expect(runs.body.runs[2]).toMatchObject({ stepId: 'b', attempt: 2, costUsd: 0.5, progress: { message: 'fixing' } });
    const total = runs.body.runs.reduce((sum: number, r: { costUsd: number }) => sum + r.costUsd, 0);
    expect(total).toBeGreaterThanOrEqual(0.75);
    expect(runs.body.cost).toEqual({ totalUsd: total, runs: 3 });
    expect(done.cost).toEqual({ totalUsd: total, runs: 3 });

    const paged = await api('GET', `/v1/executions/${id}/runs?limit=2&after=${encodeURIComponent(`${id}/a/1`)}`);
    expect(paged.body.runs.map((r: { runKey: string }) => r.runKey)).toEqual([`${id}/b/1`, `${id}/b/2`]);
    expect(paged.body.next).toBe(`${id}/b/2`);

    // No template: the summary of the agent step that succeeded last.
    expect(done.summary).toBe('Opened pull request 7');
  });

  it('shows none of it to someone who may not read the execution: 404, as for the execution', async () => {
    const id = await start(`name: private
steps:
  - { id: a, kind: agent, profile: coder, prompt: p, input: { artifacts: [{ kind: summary, title: "Secret", content: \
"the secret" }] } }
`);
    await finished(id);
    const artifactId = (await api('GET', `/v1/executions/${id}/artifacts`)).body.artifacts[0].id as string;
    for (const path of [
      `/v1/executions/${id}`,
      `/v1/executions/${id}/artifacts`,
      `/v1/executions/${id}/runs`,
      `/v1/artifacts/${artifactId}`,
    ]) {
      const answer = await api('GET', path, undefined, outsider);
      expect(answer.status, path).toBe(404);
      expect(JSON.stringify(answer.body), path).not.toContain('the secret');
    }
    expect((await api('GET', `/v1/artifacts/${crypto.randomUUID()}`)).status).toBe(404);
  });
});

describe('summaries', () => {
  it(
    "renders the recipe's summary template over the step " + "outputs, and shows it in the dashboard's state document",
    async () => {
      const browser = connectClient(baton.url, dashboardId, { token, state: true });
      try {
        await eventually(() => browser.provider.isSynced, 20_000, 'synced');
        const id = await start(`name: triage
summary: "Triage found \${steps.a.output.count} issues (\${steps.a.output.summary}); approval: \${steps.gate.status}"
steps:
  - { id: a, kind: agent, profile: coder, prompt: triage, input: { output: { count: 3, summary: "three bugs" } } }
  - { id: gate, kind: wait, for: 10ms }
`);
        const done = await finished(id);
        expect(done).toMatchObject({
          status: 'succeeded',
          summary: 'Triage found 3 issues (three bugs); approval: succeeded',
        });
        const shown = await eventually(
          () => {
            const entry = browser.doc.getMap('executions').get(id) as
              { status: string; summary?: string | null } | undefined;
            return entry?.status === 'succeeded' ? entry : undefined;
          },
          20_000,
          'the document shows the finished execution',
        );
        expect(shown.summary).toBe(done.summary);
      } finally {
        browser.destroy();
      }
    },
  );

  it('a template that fails leaves no summary and the execution finishes as it would have', async () => {
    const id = await start(`name: broken summary
summary: "\${steps.a.output.nothing.here}"
steps:
  - { id: a, kind: agent, profile: coder, prompt: p, input: { output: { summary: "done" } } }
`);
    const done = await finished(id);
    expect(done).toMatchObject({ status: 'succeeded', summary: null });
  });

  it(
    'falls back to a text output, cuts a long one, and a ' +
      'failed execution without a successful agent step has none',
    async () => {
      const long = await start(`name: long
steps:
  - { id: a, kind: agent, profile: coder, prompt: p, input: { output: "${'word '.repeat(1_000)}" } }
`);
      const done = await finished(long);
      expect(done.summary?.length).toBe(2_000);
      expect(done.summary?.endsWith('word…')).toBe(true);
      const failed = await start(`name: fails
steps:
  - { id: a, kind: agent, profile: coder, prompt: p, input: { outcome: fail } }
`);
      expect(await finished(failed)).toMatchObject({ status: 'failed', summary: null });
    },
  );

  it('a failed execution is summarized by what succeeded, and again when a retry finishes it', async () => {
    const id = await start(`name: retried
steps:
  - { id: a, kind: agent, profile: coder, prompt: p, input: { output: { summary: "first part done" } } }
  - { id: b, kind: agent, profile: coder, prompt: p, input: { failAttempts: 1, output: { summary: "both parts done" } \
} }
`);
    expect(await finished(id)).toMatchObject({ status: 'failed', summary: 'first part done' });
    expect((await api('POST', `/v1/executions/${id}/steps/b/retry`, {})).status).toBe(200);
    const again = await eventually(
      async () => {
        const body = (await api('GET', `/v1/executions/${id}`)).body as Execution;
        return body.status === 'succeeded' ? body : undefined;
      },
      30_000,
      'the retried execution to succeed',
    );
    expect(again.summary).toBe('both parts done');
  });

  it('refuses a summary template that does not parse or reads names that do not exist, naming the field', async () => {
    for (const summary of ['${steps.a.output', '${secrets.token}']) {
      const answer = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: `name: bad\nsummary: "${summary}"\nsteps:\n  - { id: a, kind: wait, for: 1s }\n`,
      });
      expect(answer.status, summary).toBe(400);
      expect(JSON.stringify(answer.body), summary).toContain('"summary"');
    }
  });
});
