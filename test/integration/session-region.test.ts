import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { stateDocumentName } from '../../src/app/realtime/document-name.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// A session records the region its sandbox runs in, as the provider reported it (the local plane
// says "local"), and shows it in the sessions API and the dashboard document.

let database: TestDatabase;
let baton: TestApp;
let team: Team;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  team = await createTeam(baton, 'Regions');
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

describe('the region of a session', () => {
  it('is the one the sandbox plane reported, in the sessions API and in the document', async () => {
    const recipe = await api('POST', `/v1/workspaces/${team.workspaceId}/recipes`, team.owner.secret, {
      yaml: 'name: r\nsteps:\n  - { id: a, kind: agent, profile: coder, prompt: one }',
    });
    expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
    const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, team.owner.secret, {
      dashboardId: team.dashboardId,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const executionId = started.body.id as string;
    await eventually(
      async () =>
        (await api('GET', `/v1/executions/${executionId}`, team.owner.secret)).body.status === 'succeeded'
          ? true
          : undefined,
      30_000,
      'the execution succeeded',
    );

    // A viewer sees it too: the region is part of the session, not a detail for controllers.
    const listed = await api('GET', `/v1/dashboards/${team.dashboardId}/sessions`, team.viewer.secret);
    expect(listed.status).toBe(200);
    const session = (
      listed.body.sessions as Array<{ id: string; executionId: string | null; region: string | null }>
    ).find((s) => s.executionId === executionId);
    expect(session).toMatchObject({ region: 'local' });

    const shown = await eventually(
      async () => {
        const doc = new Y.Doc();
        Y.applyUpdate(doc, await baton.ctx.realtime.state(stateDocumentName(team.dashboardId)));
        const entry = doc.getMap('sessions').get(session?.id ?? '') as { region?: unknown } | undefined;
        // The entry is written while provisioning (region null) and again once the sandbox is ready.
        return entry?.region === 'local' ? entry : undefined;
      },
      10_000,
      'the session in the document with its region',
    );
    expect(shown).toMatchObject({ region: 'local' });
  });
});
