import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { createTeam, type Member } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Sub-agent definitions (docs/sub-agents.md): defined and versioned with an agent profile, chosen by
// agent steps, and handed to the sandbox in the run request (the local plane's ledger shows what it got).

let database: TestDatabase;
let baton: TestApp;
let owner: Member;
let viewer: Member;
let workspaceId: string;
let dashboardId: string;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);

const reviewer = {
  name: 'reviewer',
  description: 'Reviews a diff for bugs',
  prompt: 'You review code. Be terse.',
  tools: ['git'],
  model: 'small-model',
};
const tester = { name: 'tester', description: 'Writes and runs tests', prompt: 'You write tests.' };
const profileBody = { name: 'coder', model: 'big-model', tools: ['git', 'shell'], subAgents: [reviewer, tester] };

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  ({ owner, viewer, workspaceId, dashboardId } = await createTeam(baton, 'Delegation'));
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

async function createProfile(body: Record<string, unknown>): Promise<{ id: string; version: number }> {
  const made = await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, body);
  expect(made.status, JSON.stringify(made.body)).toBe(201);
  return made.body;
}

async function start(yaml: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, {
    dashboardId,
    inputs: {},
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const settled = (id: string, status: string): Promise<any> =>
  eventually(
    async () => {
      const current = (await api('GET', `/v1/executions/${id}`, viewer.secret)).body;
      return current.status === status ? current : undefined;
    },
    30_000,
    `execution ${status}`,
  );

const ledgerEntry = async (key: string) =>
  eventually(
    async () =>
      (await sandboxLedger(baton.sandboxUrl)).find((run) => run.idempotencyKey === key) as
        (Record<string, unknown> & { subAgents?: unknown; profile?: { version?: number } }) | undefined,
    10_000,
    `ledger entry ${key}`,
  );

describe('sub-agents of an agent profile', () => {
  it('are stored with the profile, tools and model left to the profile when not given', async () => {
    const profile = await createProfile(profileBody);
    expect(profile).toMatchObject({ version: 1, subAgents: [reviewer, tester] });
    const read = await api('GET', `/v1/agent-profiles/${profile.id}`, viewer.secret);
    expect(read.body.subAgents).toEqual([reviewer, tester]);
  });

  it('refuses duplicate names, tools the profile lacks, bad names and too many, naming the field', async () => {
    const duplicate = await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
      ...profileBody,
      name: 'dup',
      subAgents: [reviewer, { ...tester, name: 'reviewer' }],
    });
    expect(duplicate.status).toBe(400);
    expect(duplicate.body.error.details.issues).toEqual([expect.objectContaining({ path: 'subAgents.1.name' })]);

    const tools = await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
      ...profileBody,
      name: 'tools',
      subAgents: [{ ...reviewer, tools: ['git', 'browser'] }],
    });
    expect(tools.status).toBe(400);
    expect(tools.body.error.details.issues).toEqual([
      expect.objectContaining({ path: 'subAgents.0.tools.1', message: expect.stringContaining('browser') }),
    ]);

    const badName = await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
      ...profileBody,
      name: 'bad',
      subAgents: [{ ...reviewer, name: 'Code Reviewer' }],
    });
    expect(badName.status).toBe(400);
    expect(JSON.stringify(badName.body)).toContain('subAgents.0.name');

    const many = Array.from({ length: 21 }, (_, i) => ({ ...tester, name: `t${i}` }));
    const tooMany = await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
      ...profileBody,
      name: 'many',
      subAgents: many,
    });
    expect(tooMany.status).toBe(400);
    expect(JSON.stringify(tooMany.body)).toContain('subAgents');

    const noPrompt = await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, owner.secret, {
      ...profileBody,
      name: 'noprompt',
      subAgents: [{ ...tester, prompt: ' ' }],
    });
    expect(noPrompt.status).toBe(400);
    expect(JSON.stringify(noPrompt.body)).toContain('subAgents.0.prompt');
    // Nothing was made.
    const names = (await api('GET', `/v1/workspaces/${workspaceId}/agent-profiles`, viewer.secret)).body.profiles.map(
      (p: { name: string }) => p.name,
    );
    expect(names).toEqual(['coder']);
  });

  it('hands the run exactly the sub-agents the step enables, resolved against the profile', async () => {
    const id = await start(`
name: delegate
steps:
  - { id: all, kind: agent, profile: coder, prompt: everything }
  - { id: one, kind: agent, profile: coder, prompt: just tests, subAgents: [tester] }
  - { id: none, kind: agent, profile: coder, prompt: alone, subAgents: [] }
`);
    const done = await settled(id, 'succeeded');
    const all = await ledgerEntry(`${id}/all/1`);
    expect(all.subAgents).toEqual([reviewer, { ...tester, tools: ['git', 'shell'], model: 'big-model' }]);
    expect(all.profile).toEqual({ name: 'coder', model: 'big-model', tools: ['git', 'shell'], version: 1 });
    expect((await ledgerEntry(`${id}/one/1`)).subAgents).toEqual([
      { ...tester, tools: ['git', 'shell'], model: 'big-model' },
    ]);
    expect((await ledgerEntry(`${id}/none/1`)).subAgents).toBeUndefined();
    // The plane echoes the names it got in the step's output.
    expect(done.steps.all.output.subAgents).toEqual(['reviewer', 'tester']);
    expect(done.steps.one.output.subAgents).toEqual(['tester']);
    expect(done.steps.none.output.subAgents).toBeUndefined();
  });

  it('refuses a recipe whose step enables a sub-agent its profile does not define, naming the field', async () => {
    const yaml = `
name: unknown sub-agent
steps:
  - kind: parallel
    id: fan
    branches:
      - steps: [{ id: a, kind: agent, profile: coder, prompt: x, subAgents: [tester] }]
      - steps: [{ id: b, kind: agent, profile: coder, prompt: y, subAgents: [tester, deployer] }]
`;
    const refused = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, { yaml });
    expect(refused.status).toBe(400);
    expect(refused.body.error.details.issues).toEqual([
      expect.objectContaining({
        path: 'steps.0.branches.1.steps.0.subAgents.1',
        message: expect.stringContaining('deployer'),
      }),
    ]);
    const twice = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, {
      yaml: 'name: twice\nsteps: [{ id: a, kind: agent, profile: coder, prompt: x, subAgents: [tester, tester] }]',
    });
    expect(twice.status).toBe(400);
    expect(JSON.stringify(twice.body)).toContain('steps.0.subAgents');
  });

  it(
    'fails the step with a clear error when the profile ' + 'was unknown at push and lacks the sub-agent at run time',
    async () => {
      // The profile does not exist when the recipe is saved: the choice cannot be checked then.
      const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, {
        yaml: 'name: later\nsteps: [{ id: go, kind: agent, profile: later, prompt: x, subAgents: [planner] }]',
      });
      expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
      await createProfile({
        name: 'later',
        model: 'm',
        tools: [],
        subAgents: [{ name: 'writer', description: 'Writes', prompt: 'Write.' }],
      });
      const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, {
        dashboardId,
        inputs: {},
      });
      expect(started.status).toBe(201);
      const failed = await settled(started.body.id, 'failed');
      expect(failed.steps.go.error).toMatch(
        /sub-agent "planner", which agent profile "later" \(version 1\) does not define/,
      );
      expect(
        (await sandboxLedger(baton.sandboxUrl)).some((run) => run.idempotencyKey.startsWith(started.body.id)),
      ).toBe(false);
    },
  );
});

describe('versions of a profile', () => {
  it('a change of sub-agents is a new version; an execution keeps the version current when it started', async () => {
    const profile = await createProfile({
      name: 'versioned',
      model: 'm1',
      tools: ['git'],
      subAgents: [{ name: 'old-hand', description: 'The first one', prompt: 'v1' }],
    });
    // The first step waits for an approval, so the profile can change while the execution runs.
    const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, {
      yaml:
        'name: pinned\nsteps:\n  - { id: gate, kind: approval, prompt: go? ' +
        '}\n  - { id: work, kind: agent, profile: versioned, prompt: x }',
    });
    expect(recipe.status).toBe(201);
    const before = (
      await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, { dashboardId, inputs: {} })
    ).body.id as string;

    const changed = await api('PUT', `/v1/agent-profiles/${profile.id}`, owner.secret, {
      model: 'm2',
      tools: ['git'],
      subAgents: [{ name: 'new-hand', description: 'The second one', prompt: 'v2' }],
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ version: 2, model: 'm2' });
    // The same spec again is no new version.
    const again = await api('PUT', `/v1/agent-profiles/${profile.id}`, owner.secret, {
      model: 'm2',
      tools: ['git'],
      subAgents: [{ name: 'new-hand', description: 'The second one', prompt: 'v2' }],
    });
    expect(again.body.version).toBe(2);
    const versions = await api('GET', `/v1/agent-profiles/${profile.id}/versions`, viewer.secret);
    expect(versions.status).toBe(200);
    expect(
      versions.body.versions.map((v: { version: number; model: string; subAgents: Array<{ name: string }> }) => [
        v.version,
        v.model,
        v.subAgents.map((s) => s.name),
      ]),
    ).toEqual([
      [2, 'm2', ['new-hand']],
      [1, 'm1', ['old-hand']],
    ]);
    expect(versions.body.versions[0].createdBy).toBe(owner.userId);

    const after = (
      await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, { dashboardId, inputs: {} })
    ).body.id as string;
    for (const id of [before, after])
      expect((await api('POST', `/v1/executions/${id}/steps/gate/approve`, owner.secret, {})).status).toBe(200);
    await settled(before, 'succeeded');
    await settled(after, 'succeeded');
    const old = await ledgerEntry(`${before}/work/1`);
    expect(old.profile).toMatchObject({ model: 'm1', version: 1 });
    expect(old.subAgents).toEqual([
      { name: 'old-hand', description: 'The first one', prompt: 'v1', tools: ['git'], model: 'm1' },
    ]);
    const current = await ledgerEntry(`${after}/work/1`);
    expect(current.profile).toMatchObject({ model: 'm2', version: 2 });
    expect(current.subAgents).toEqual([
      { name: 'new-hand', description: 'The second one', prompt: 'v2', tools: ['git'], model: 'm2' },
    ]);
  });
});
