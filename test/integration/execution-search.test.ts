import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { signWebhook } from '../../src/app/triggers/hook-signature.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Execution search (GET /v1/workspaces/{wid}/executions, GET /v1/dashboards/{id}/executions) and
 * bulk cancel and retry, through the HTTP API on real Postgres.
 */
let database: TestDatabase;
let baton: TestApp;
let team: Team;
let outsider: string;
let otherDashboardId: string;
let gateRecipe: string;
let otherRecipe: string;
/** Every execution started in setup, oldest first. */
const started: Array<{ id: string; dashboardId: string; recipeId: string; by: string }> = [];
let failedIds: string[] = [];

type Summary = {
  id: string;
  status: string;
  dashboardId: string;
  recipeId: string;
  createdBy: string | null;
  createdAt: string;
  origin: { kind: string; id: string | null };
};
type Page = { executions: Summary[]; nextCursor: string | null };

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);
const search = async (
  query: string,
  token = team.owner.secret,
  path = `/v1/workspaces/${team.workspaceId}/executions`,
) => {
  const res = await api('GET', `${path}${query === '' ? '' : `?${query}`}`, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as Page;
};
const ids = (page: Page) => page.executions.map((e) => e.id);
const newestFirst = (list: typeof started) => list.map((e) => e.id).reverse();

async function start(recipeId: string, dashboardId: string, token: string, by: string) {
  const res = await api('POST', `/v1/recipes/${recipeId}/executions`, token, { dashboardId, inputs: {} });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  started.push({ id: res.body.id as string, dashboardId, recipeId, by });
  return res.body.id as string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  team = await createTeam(baton, 'Search');
  outsider = (await bootstrapToken(baton.ctx, { email: 'outsider@example.com', workspaceName: 'Elsewhere' })).secret;
  // A dashboard the viewer is not a member of: its executions are not theirs to find.
  otherDashboardId = (
    await createDashboard(
      baton.ctx,
      sessionPrincipal(team.owner.userId),
      team.workspaceId,
      { name: 'Private' },
      'setup',
    )
  ).id;
  const recipe = async (name: string) =>
    (
      await api('POST', `/v1/workspaces/${team.workspaceId}/recipes`, team.owner.secret, {
        yaml: `name: ${name}\nsteps:\n  - { id: gate, kind: approval, prompt: "go?" }\n`,
      })
    ).body.id as string;
  gateRecipe = await recipe('gate');
  otherRecipe = await recipe('other');
  await start(gateRecipe, team.dashboardId, team.owner.secret, team.owner.userId);
  await start(gateRecipe, team.dashboardId, team.editor.secret, team.editor.userId);
  await start(otherRecipe, team.dashboardId, team.editor.secret, team.editor.userId);
  await start(gateRecipe, otherDashboardId, team.owner.secret, team.owner.userId);
  await start(gateRecipe, team.dashboardId, team.owner.secret, team.owner.userId);
  await start(otherRecipe, otherDashboardId, team.owner.secret, team.owner.userId);
  // Two rejected approvals: their executions fail.
  failedIds = [started[1]?.id ?? '', started[3]?.id ?? ''];
  for (const id of failedIds)
    expect((await api('POST', `/v1/executions/${id}/steps/gate/reject`, team.owner.secret, {})).status).toBe(200);
  await eventually(
    async () => ((await search('status=failed')).executions.length === 2 ? true : undefined),
    10_000,
    'two failed executions',
  );
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

describe('searching executions', () => {
  it('lists every execution of the workspace to an admin, newest first, with who and what started it', async () => {
    const page = await search('');
    expect(ids(page)).toEqual(newestFirst(started));
    expect(page.nextCursor).toBeNull();
    const times = page.executions.map((e) => Date.parse(e.createdAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(page.executions.find((e) => e.id === started[1]?.id)).toMatchObject({
      status: 'failed',
      createdBy: team.editor.userId,
      origin: { kind: 'person', id: null },
      recipeId: gateRecipe,
      dashboardId: team.dashboardId,
    });
  });

  it('filters by status (repeated or comma-separated), recipe, dashboard and who started it', async () => {
    expect(new Set(ids(await search('status=failed')))).toEqual(new Set(failedIds));
    const waiting = started.filter((e) => !failedIds.includes(e.id));
    expect(ids(await search('status=waiting'))).toEqual(newestFirst(waiting));
    expect(ids(await search('status=failed&status=waiting'))).toEqual(newestFirst(started));
    expect(ids(await search('status=failed,waiting'))).toEqual(newestFirst(started));
    expect(ids(await search('status=succeeded'))).toEqual([]);
    expect(ids(await search(`recipeId=${otherRecipe}`))).toEqual(
      newestFirst(started.filter((e) => e.recipeId === otherRecipe)),
    );
    expect(ids(await search(`dashboardId=${otherDashboardId}`))).toEqual(
      newestFirst(started.filter((e) => e.dashboardId === otherDashboardId)),
    );
    expect(ids(await search(`createdBy=${team.editor.userId}`))).toEqual(
      newestFirst(started.filter((e) => e.by === team.editor.userId)),
    );
    expect(ids(await search(`createdBy=${team.editor.userId}&recipeId=${gateRecipe}&status=failed`))).toEqual([
      started[1]?.id,
    ]);
    expect(ids(await search('origin=person'))).toEqual(newestFirst(started));
    expect(ids(await search('origin=schedule'))).toEqual([]);
    // The dashboard's own route: the same filters within it.
    expect(ids(await search('', team.owner.secret, `/v1/dashboards/${otherDashboardId}/executions`))).toEqual(
      newestFirst(started.filter((e) => e.dashboardId === otherDashboardId)),
    );
    expect(
      ids(
        await search(
          `status=failed&recipeId=${gateRecipe}`,
          team.owner.secret,
          `/v1/dashboards/${team.dashboardId}/executions`,
        ),
      ),
    ).toEqual([started[1]?.id]);
  });

  it('filters by a time range', async () => {
    // Two executions from ten days ago (a user could not wait that long; the rows are backdated).
    const old = [started[0]?.id ?? '', started[2]?.id ?? ''];
    await baton.db
      .updateTable('executions')
      .set({ created_at: new Date(Date.now() - 10 * 86_400_000) } as never)
      .where('id', 'in', old)
      .execute();
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
    try {
      expect(new Set(ids(await search(`createdBefore=${encodeURIComponent(weekAgo)}`)))).toEqual(new Set(old));
      expect(ids(await search(`createdAfter=${encodeURIComponent(weekAgo)}`))).toEqual(
        newestFirst(started.filter((e) => !old.includes(e.id))),
      );
      expect(ids(await search(`createdAfter=${encodeURIComponent(weekAgo)}&status=failed`))).toEqual(
        newestFirst(started.filter((e) => failedIds.includes(e.id))),
      );
    } finally {
      // Put them back in their place in time for the other tests.
      for (const [i, id] of [
        [0, old[0]],
        [2, old[1]],
      ] as const) {
        const next = started[i + 1]?.id ?? '';
        const neighbour = await baton.db
          .selectFrom('executions')
          .select('created_at')
          .where('id', '=', next)
          .executeTakeFirstOrThrow();
        await baton.db
          .updateTable('executions')
          .set({ created_at: new Date(neighbour.created_at.getTime() - 1) } as never)
          .where('id', '=', id ?? '')
          .execute();
      }
    }
  });

  it('pages with a cursor: no duplicates and no gaps, while new executions start', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page = await search(`limit=2${cursor === null ? '' : `&cursor=${cursor}`}`);
      seen.push(...ids(page));
      cursor = page.nextCursor;
      pages += 1;
      // Work goes on while someone pages: newer executions are not part of the pages already begun.
      if (cursor !== null) await start(otherRecipe, team.dashboardId, team.editor.secret, team.editor.userId);
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(newestFirst(started.slice(0, 6)));
    // A fresh first page shows them, newest first.
    expect(ids(await search('limit=2'))).toEqual(newestFirst(started).slice(0, 2));
  });

  it('refuses bad filters and cursors with a 400 naming the field', async () => {
    const bad = async (query: string, path: string) => {
      const res = await api('GET', `/v1/workspaces/${team.workspaceId}/executions?${query}`, team.owner.secret);
      expect(res.status, query).toBe(400);
      expect(
        (res.body.error.details.issues as Array<{ location: string; path: string }>).map(
          (i) => `${i.location}:${i.path.split('.')[0]}`,
        ),
        query,
      ).toContain(`query:${path}`);
    };
    await bad('status=bogus', 'status');
    await bad('status=failed,nope', 'status');
    await bad('cursor=not-a-cursor', 'cursor');
    await bad(`cursor=${btoa('123.nope')}`, 'cursor');
    await bad('cursor=%2F%2F%2F', 'cursor');
    await bad('limit=201', 'limit');
    await bad('limit=0', 'limit');
    await bad('createdAfter=yesterday', 'createdAfter');
    // Times no execution can have are refused, not searched: year 0, a cursor past the year 2286.
    await bad('createdAfter=0000-01-01T00:00:00Z', 'createdAfter');
    await bad(`cursor=${btoa(`999999999999999999.${crypto.randomUUID()}`).replace(/=+$/, '')}`, 'cursor');
    await bad('recipeId=12', 'recipeId');
    await bad('origin=robot', 'origin');
  });
});

describe('who may search', () => {
  it('shows a viewer the executions of the dashboards they belong to, and hides the others', async () => {
    const mine = started.filter((e) => e.dashboardId === team.dashboardId);
    expect(ids(await search('', team.viewer.secret))).toEqual(newestFirst(mine));
    expect(ids(await search('', team.viewer.secret, `/v1/dashboards/${team.dashboardId}/executions`))).toEqual(
      newestFirst(mine),
    );
    expect((await api('GET', `/v1/dashboards/${otherDashboardId}/executions`, team.viewer.secret)).status).toBe(404);
    expect(
      (
        await api(
          'GET',
          `/v1/workspaces/${team.workspaceId}/executions?dashboardId=${otherDashboardId}`,
          team.viewer.secret,
        )
      ).status,
    ).toBe(404);
  });

  it('hides the workspace and its dashboards from an outsider', async () => {
    expect((await api('GET', `/v1/workspaces/${team.workspaceId}/executions`, outsider)).status).toBe(404);
    expect((await api('GET', `/v1/dashboards/${team.dashboardId}/executions`, outsider)).status).toBe(404);
    expect(
      (await api('POST', `/v1/workspaces/${team.workspaceId}/executions/cancel`, outsider, { ids: [started[0]?.id] }))
        .status,
    ).toBe(404);
  });
});

describe('origins', () => {
  it('records a trigger as what started its execution, and finds it by trigger', async () => {
    const made = await api('POST', `/v1/workspaces/${team.workspaceId}/triggers`, team.owner.secret, {
      name: 'ci',
      source: 'webhook',
      action: { kind: 'start', recipeId: gateRecipe, dashboardId: team.dashboardId, inputs: {} },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const trigger = made.body as { id: string; secret: string };
    const body = JSON.stringify({ name: 'push' });
    const signed = await signWebhook(trigger.secret, { body, deliveryId: crypto.randomUUID(), nowMs: Date.now() });
    const res = await fetch(`${baton.url}/v1/hooks/${trigger.id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signed },
      body,
    });
    expect(res.status).toBeLessThan(300);
    const found = await eventually(
      async () => {
        const page = await search(`origin=trigger&originId=${trigger.id}`);
        return page.executions.length === 1 ? page.executions[0] : undefined;
      },
      15_000,
      'the execution the trigger started',
    );
    expect(found.origin).toEqual({ kind: 'trigger', id: trigger.id });
    expect(found.createdBy).toBe(team.owner.userId);
    expect(ids(await search('origin=person'))).not.toContain(found.id);
  });
});

describe('bulk cancel and retry', () => {
  it('reports each execution: ok, conflict with the reason, forbidden, not found', async () => {
    const waitingOnMine = started
      .filter((e) => e.dashboardId === team.dashboardId && !failedIds.includes(e.id))
      .map((e) => e.id);
    const privateOne = started.find((e) => e.dashboardId === otherDashboardId && !failedIds.includes(e.id))?.id ?? '';
    const unknown = crypto.randomUUID();
    // A viewer may not cancel; the private dashboard's execution does not exist for them.
    const byViewer = await api('POST', `/v1/workspaces/${team.workspaceId}/executions/cancel`, team.viewer.secret, {
      ids: [waitingOnMine[0], privateOne],
    });
    expect(byViewer.status).toBe(200);
    expect(byViewer.body.results).toEqual([
      { id: waitingOnMine[0], outcome: 'forbidden', reason: expect.any(String) },
      { id: privateOne, outcome: 'not_found' },
    ]);

    const cancelled = await api('POST', `/v1/workspaces/${team.workspaceId}/executions/cancel`, team.editor.secret, {
      ids: [waitingOnMine[0], waitingOnMine[1], failedIds[0], unknown, waitingOnMine[0]],
      reason: 'tidy up',
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.results).toEqual([
      { id: waitingOnMine[0], outcome: 'ok', status: 'cancelled' },
      { id: waitingOnMine[1], outcome: 'ok', status: 'cancelled' },
      { id: failedIds[0], outcome: 'conflict', reason: expect.stringContaining('has failed') },
      { id: unknown, outcome: 'not_found' },
    ]);
    expect(cancelled.body.counts).toEqual({ ok: 2, not_found: 1, conflict: 1, forbidden: 0 });
    expect((await api('GET', `/v1/executions/${waitingOnMine[0]}`, team.viewer.secret)).body.status).toBe('cancelled');

    const retried = await api('POST', `/v1/workspaces/${team.workspaceId}/executions/retry`, team.owner.secret, {
      ids: [...failedIds, waitingOnMine[0]],
    });
    expect(retried.status).toBe(200);
    expect(retried.body.results).toEqual([
      { id: failedIds[0], outcome: 'ok', status: 'waiting' },
      { id: failedIds[1], outcome: 'ok', status: 'waiting' },
      { id: waitingOnMine[0], outcome: 'conflict', reason: expect.stringContaining('only a failed execution') },
    ]);
    expect((await search('status=failed')).executions).toEqual([]);
  });

  it('refuses an empty list or more than 100 ids, naming the field', async () => {
    for (const list of [[], Array.from({ length: 101 }, () => crypto.randomUUID()), ['x']]) {
      const res = await api('POST', `/v1/workspaces/${team.workspaceId}/executions/retry`, team.owner.secret, {
        ids: list,
      });
      expect(res.status).toBe(400);
      expect(res.body.error.details.issues[0]).toMatchObject({ location: 'body', path: expect.stringMatching(/^ids/) });
    }
  });

  it('needs the control scope, as the single actions do', async () => {
    const read = await api('POST', '/v1/tokens', team.owner.secret, { name: 'read only', scopes: ['read'] });
    expect(read.status, JSON.stringify(read.body)).toBe(201);
    expect(
      (
        await api('POST', `/v1/workspaces/${team.workspaceId}/executions/cancel`, read.body.token as string, {
          ids: [started[0]?.id],
        })
      ).status,
    ).toBe(403);
    expect((await search('', read.body.token as string)).executions.length).toBeGreaterThan(0);
  });
});
