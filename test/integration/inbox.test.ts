import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import * as Y from 'yjs';
import { connectClient, connectDashboard } from '../support/realtime-client.ts';
import { createTeam, type Member, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// GET /v1/me/inbox: approvals a person may decide now, across their workspaces, and failed
// executions of the dashboards they own, each with links to act on.

let database: TestDatabase;
let baton: TestApp;
let team: Team;
let outsider: Member;

interface Inbox {
  counts: { approvals: number; failed: number };
  approvals: Array<{
    executionId: string;
    stepId: string;
    prompt: string;
    quorum: number;
    approvals: number;
    dashboard: { id: string; name: string };
    workspace: { id: string; name: string };
    links: { execution: string; approve: string; reject: string; dashboard: string };
  }>;
  failed: Array<{
    executionId: string;
    failedStep: string | null;
    reason: string | null;
    links: { execution: string; retry: string | null; dashboard: string };
  }>;
}

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);
const inboxOf = async (who: Member, query = ''): Promise<Inbox> => {
  const answer = await api('GET', `/v1/me/inbox${query}`, who.secret);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body as Inbox;
};

async function start(yaml: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${team.workspaceId}/recipes`, team.owner.secret, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, team.owner.secret, {
    dashboardId: team.dashboardId,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}
const statusOf = async (id: string) =>
  (await api('GET', `/v1/executions/${id}`, team.owner.secret)).body.status as string;
const reaches = (id: string, status: string) =>
  eventually(async () => ((await statusOf(id)) === status ? true : undefined), 30_000, `execution ${status}`);

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  team = await createTeam(baton, 'Inbox');
  const other = await bootstrapToken(baton.ctx, { email: 'outsider@example.com', workspaceName: 'Elsewhere' });
  outsider = { secret: other.secret, userId: other.user.id };
  expect(
    (
      await api('POST', `/v1/workspaces/${team.workspaceId}/agent-profiles`, team.owner.secret, {
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

describe('the inbox', () => {
  it('lists an approval to those who may decide it, until they have; not to a viewer nor an outsider', async () => {
    const id = await start('name: ship\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship it?", quorum: 2 }');
    await reaches(id, 'waiting');

    const editors = await inboxOf(team.editor);
    expect(editors.counts.approvals).toBe(1);
    expect(editors.approvals).toEqual([
      expect.objectContaining({
        executionId: id,
        stepId: 'gate',
        prompt: 'Ship it?',
        quorum: 2,
        approvals: 0,
        dashboard: { id: team.dashboardId, name: 'Runs' },
        workspace: { id: team.workspaceId, name: 'Inbox' },
        links: {
          execution: `/v1/executions/${id}`,
          approve: `/v1/executions/${id}/steps/gate/approve`,
          reject: `/v1/executions/${id}/steps/gate/reject`,
          dashboard: `/v1/dashboards/${team.dashboardId}`,
        },
      }),
    ]);
    expect((await inboxOf(team.owner)).approvals.map((a) => a.executionId)).toEqual([id]);
    // A viewer may not decide; an outsider does not even learn that the execution exists.
    expect(await inboxOf(team.viewer)).toMatchObject({ counts: { approvals: 0 }, approvals: [] });
    expect(await inboxOf(outsider)).toEqual({ counts: { approvals: 0, failed: 0 }, approvals: [], failed: [] });

    // The link is what to act on: once the editor has decided, it leaves their inbox but not the owner's.
    const decided = await api('POST', editors.approvals[0]?.links.approve ?? '', team.editor.secret, {
      comment: 'fine by me',
    });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect(await inboxOf(team.editor)).toMatchObject({ counts: { approvals: 0 }, approvals: [] });
    expect((await inboxOf(team.owner)).approvals).toEqual([expect.objectContaining({ executionId: id, approvals: 1 })]);
    // The second approval decides it: it leaves every inbox.
    expect((await api('POST', `/v1/executions/${id}/steps/gate/approve`, team.owner.secret)).status).toBe(200);
    await reaches(id, 'succeeded');
    expect(await inboxOf(team.owner)).toMatchObject({ counts: { approvals: 0 }, approvals: [] });
  });

  it('shows who decided through the API in the document, as a decision made there would be', async () => {
    const id = await start('name: named\nsteps:\n  - { id: gate, kind: approval, prompt: "Go?", quorum: 2 }');
    await reaches(id, 'waiting');
    expect(
      (await api('POST', `/v1/executions/${id}/steps/gate/approve`, team.editor.secret, { comment: 'from the API' }))
        .status,
    ).toBe(200);
    // A viewer's browser reads the approval: the decision is under the editor's id, with their e-mail and when.
    const client = connectClient(baton.url, team.dashboardId, { token: team.viewer.secret, state: true });
    try {
      const shown = await eventually(
        () => {
          const approval = client.doc.getMap('approvals').get(`${id}:gate`) as
            { get(key: string): unknown } | undefined;
          const decisions = approval?.get('decisions') as
            { toJSON(): Record<string, Record<string, unknown>> } | undefined;
          const decision = decisions?.toJSON()[team.editor.userId];
          return decision?.email === undefined ? undefined : decision;
        },
        15_000,
        'the API decision with its decider in the document',
      );
      expect(shown).toEqual({
        approved: true,
        comment: 'from the API',
        at: expect.any(Number),
        name: null,
        email: 'editor@example.com',
      });
    } finally {
      client.destroy();
    }
    // The owner decides in the dashboard document itself: recorded, it is shown the same way.
    const owners = connectDashboard(baton.url, team.dashboardId, { token: team.owner.secret });
    try {
      const decisions = await eventually(
        () =>
          (owners.state.doc.getMap('approvals').get(`${id}:gate`) as { get(key: string): unknown } | undefined)?.get(
            'decisions',
          ) as { toJSON(): Record<string, Record<string, unknown>> } | undefined,
        15_000,
        "the approval in the owner's document",
      );
      await eventually(() => owners.dashboard.provider.isSynced, 10_000, 'the dashboard document synced');
      const mine = new Y.Map<unknown>();
      mine.set(team.owner.userId, { approved: true, comment: 'from the document' });
      owners.dashboard.doc.getMap('decisions').set(`${id}:gate`, mine);
      const recorded = await eventually(
        () => {
          const decision = decisions.toJSON()[team.owner.userId];
          return decision?.email === undefined ? undefined : decision;
        },
        15_000,
        'the document decision recorded with its decider',
      );
      expect(recorded).toEqual({
        approved: true,
        comment: 'from the document',
        at: expect.any(Number),
        name: null,
        email: 'owner@example.com',
      });
    } finally {
      owners.destroy();
    }
  });

  it('shows failed executions to the owner of their dashboard only, newest first, with the step to retry', async () => {
    const first = await start(
      'name: broken\nsteps:\n  - { id: work, kind: agent, profile: ' +
        'coder, prompt: go, input: { outcome: fail, error: "it broke" } }',
    );
    await reaches(first, 'failed');
    const second = await start(
      'name: broken-too\nsteps:\n  - { id: build, kind: agent, profile: coder, prompt: go, input: { outcome: fail } }',
    );
    await reaches(second, 'failed');

    const owners = await inboxOf(team.owner);
    expect(owners.counts.failed).toBe(2);
    expect(owners.failed.map((f) => f.executionId)).toEqual([second, first]);
    expect(owners.failed[1]).toMatchObject({
      failedStep: 'work',
      links: {
        execution: `/v1/executions/${first}`,
        retry: `/v1/executions/${first}/steps/work/retry`,
        dashboard: `/v1/dashboards/${team.dashboardId}`,
      },
    });
    // `limit` bounds the lists, not the counts.
    expect(await inboxOf(team.owner, '?limit=1')).toMatchObject({
      counts: { failed: 2 },
      failed: [{ executionId: second }],
    });
    // An editor and a viewer of the dashboard do not own it; an outsider sees nothing.
    expect((await inboxOf(team.editor)).counts.failed).toBe(0);
    expect((await inboxOf(team.viewer)).failed).toEqual([]);
    expect((await inboxOf(outsider)).counts).toEqual({ approvals: 0, failed: 0 });
  });

  it('refuses a bad limit naming the field, and a caller without a credential', async () => {
    const bad = await api('GET', '/v1/me/inbox?limit=1000', team.owner.secret);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('limit');
    expect((await fetch(`${baton.url}/v1/me/inbox`)).status).toBe(401);
  });
});
