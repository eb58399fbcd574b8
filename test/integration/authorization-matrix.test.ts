import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createDashboard, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken, createApiToken } from '../../src/app/identity/tokens.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { createItem } from '../../src/app/realtime/items.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * Every /v1 route from /openapi.json, called as each kind of caller. A route that nobody added to
 * this table fails the test: new routes must say who may call them.
 */
const roles = ['anonymous', 'viewer', 'editor', 'owner', 'admin', 'outsider'] as const;
type Role = (typeof roles)[number];
type Expect = Record<Role, number>;

/** Allowed for any signed-in caller. */
const anyone = (ok: number): Expect => ({ anonymous: 401, viewer: ok, editor: ok, owner: ok, admin: ok, outsider: ok });
/** Members of the workspace may; the outsider does not know it exists. */
const members = (ok: number): Expect => ({
  anonymous: 401,
  viewer: ok,
  editor: ok,
  owner: ok,
  admin: ok,
  outsider: 404,
});
/** Those who control the dashboard's executions (editors, owners, admins): the editor's answer, then the others'. */
const controllers = (editor: number, later: number): Expect => ({
  anonymous: 401,
  viewer: 403,
  editor,
  owner: later,
  admin: later,
  outsider: 404,
});
const recipeYaml =
  'name: gated\nsteps:\n  - { id: gate, kind: approval, prompt: ok ' +
  '}\n  - { id: later, kind: agent, profile: coder, prompt: go }\n';

/** Only workspace admins. */
const admins = (ok: number): Expect => ({
  anonymous: 401,
  viewer: 403,
  editor: 403,
  owner: 403,
  admin: ok,
  outsider: 404,
});

interface Fixture {
  workspaceId: string;
  dashboardId: string;
  spareUserId: string;
  ownersTokenId: string;
  itemId: string;
  recipeId: string;
  executionId: string;
  profileId: string;
  sessionId: string;
  scheduleId: string;
  triggerId: string;
  integrationId: string;
  artifactId: string;
}

/**
 * `ownToken`: each role calls with a fresh read-only token of its own (the route revokes the token it is called with).
 */
const matrix: Record<
  string,
  { expect: Expect; body?: (f: Fixture) => unknown; params?: (f: Fixture) => Record<string, string>; ownToken?: true }
> = {
  'GET /v1/me': { expect: anyone(200) },
  'POST /v1/tokens': { expect: anyone(201), body: () => ({ name: 'ci', scopes: ['read'] }) },
  'GET /v1/tokens': { expect: anyone(200) },
  'GET /v1/me/sessions': { expect: anyone(200) },
  // Device sign-in: any signed-in person with the code may decide (the code is the capability); an unknown one is 404.
  'GET /v1/device/{userCode}': { expect: anyone(404), params: () => ({ userCode: 'CCCC-CCCC' }) },
  'POST /v1/device/{userCode}/approve': { expect: anyone(404), params: () => ({ userCode: 'CCCC-CCCC' }) },
  'POST /v1/device/{userCode}/deny': { expect: anyone(404), params: () => ({ userCode: 'CCCC-CCCC' }) },
  // Everyone has an inbox: it lists only what they may act on (test/integration/inbox.test.ts).
  'GET /v1/me/inbox': { expect: anyone(200) },
  // Only your own sessions exist for you: an id that is not one of yours is 404 to everyone.
  'DELETE /v1/me/sessions/{id}': {
    expect: anyone(404),
    params: () => ({ id: '00000000-0000-4000-8000-000000000000' }),
  },
  'DELETE /v1/me/sessions': { expect: anyone(200) },
  'DELETE /v1/me/token': { expect: anyone(204), ownToken: true },
  'DELETE /v1/tokens/{id}': {
    expect: { anonymous: 401, viewer: 404, editor: 404, owner: 204, admin: 404, outsider: 404 },
    params: (f) => ({ id: f.ownersTokenId }),
  },
  'POST /v1/workspaces': { expect: anyone(201), body: () => ({ name: 'Another' }) },
  'GET /v1/workspaces': { expect: anyone(200) },
  'GET /v1/workspaces/{wid}/members': { expect: members(200) },
  'POST /v1/workspaces/{wid}/members': {
    expect: admins(200),
    body: () => ({ email: 'newcomer@example.com', role: 'member' }),
  },
  'DELETE /v1/workspaces/{wid}/members/{userId}': { expect: admins(204), params: (f) => ({ userId: f.spareUserId }) },
  'GET /v1/workspaces/{wid}/audit': { expect: admins(200) },
  'POST /v1/workspaces/{wid}/dashboards': { expect: members(201), body: () => ({ name: 'New board' }) },
  'GET /v1/workspaces/{wid}/dashboards': { expect: members(200) },
  'GET /v1/dashboards/{id}': { expect: members(200) },
  'PATCH /v1/dashboards/{id}': { expect: { ...members(200), viewer: 403 }, body: () => ({ name: 'Renamed' }) },
  'DELETE /v1/dashboards/{id}': { expect: { ...members(204), viewer: 403, editor: 403 } },
  'GET /v1/dashboards/{id}/members': { expect: members(200) },
  'PUT /v1/dashboards/{id}/members/{userId}': {
    expect: { ...members(200), viewer: 403, editor: 403 },
    params: (f) => ({ userId: f.spareUserId }),
    body: () => ({ role: 'viewer' }),
  },
  // The owner removes the spare member; the admin then finds nobody left to remove (404).
  'DELETE /v1/dashboards/{id}/members/{userId}': {
    expect: { ...members(204), viewer: 403, editor: 403, admin: 404 },
    params: (f) => ({ userId: f.spareUserId }),
  },
  'GET /v1/dashboards/{id}/items': { expect: members(200) },
  'POST /v1/dashboards/{id}/items': {
    expect: { ...members(201), viewer: 403 },
    body: () => ({ kind: 'note', title: 'Hello' }),
  },
  // Each role edits the same item; the viewer may not.
  'PATCH /v1/dashboards/{id}/items/{itemId}': {
    expect: { ...members(200), viewer: 403 },
    params: (f) => ({ itemId: f.itemId }),
    body: () => ({ title: 'Edited' }),
  },
  // The editor deletes the item; after that it is gone for everyone else.
  'DELETE /v1/dashboards/{id}/items/{itemId}': {
    expect: { ...members(404), viewer: 403, editor: 204 },
    params: (f) => ({ itemId: f.itemId }),
  },
  'GET /v1/dashboards/{id}/presence': { expect: members(200) },
  'POST /v1/workspaces/{wid}/recipes': { expect: members(201), body: () => ({ yaml: recipeYaml }) },
  'GET /v1/workspaces/{wid}/recipes': { expect: members(200) },
  'POST /v1/workspaces/{wid}/recipes/validate': { expect: members(200), body: () => ({ yaml: recipeYaml }) },
  'GET /v1/recipes/{id}': { expect: members(200), params: (f) => ({ id: f.recipeId }) },
  'PUT /v1/recipes/{id}': {
    expect: members(200),
    params: (f) => ({ id: f.recipeId }),
    body: () => ({ yaml: recipeYaml }),
  },
  'GET /v1/recipes/{id}/versions': { expect: members(200), params: (f) => ({ id: f.recipeId }) },
  // Archiving and restoring change nothing the second time: every member (write scope) gets 200.
  'POST /v1/recipes/{id}/archive': { expect: members(200), params: (f) => ({ id: f.recipeId }) },
  'POST /v1/recipes/{id}/restore': { expect: members(200), params: (f) => ({ id: f.recipeId }) },
  'POST /v1/recipes/{id}/publish-template': {
    expect: members(201),
    params: (f) => ({ id: f.recipeId }),
    body: () => ({ description: 'As it is', parameters: [] }),
  },
  'GET /v1/workspaces/{wid}/templates': { expect: members(200) },
  'GET /v1/workspaces/{wid}/templates/{templateId}': {
    expect: members(200),
    params: () => ({ templateId: 'github-issue-triage' }),
  },
  // Members get past the access check; a shipped template cannot be deleted (409).
  'DELETE /v1/workspaces/{wid}/templates/{templateId}': {
    expect: members(409),
    params: () => ({ templateId: 'github-issue-triage' }),
  },
  'POST /v1/recipes/{id}/executions': {
    expect: controllers(201, 201),
    params: (f) => ({ id: f.recipeId }),
    body: (f) => ({ dashboardId: f.dashboardId }),
  },
  'POST /v1/workspaces/{wid}/agent-profiles': {
    expect: members(201),
    body: () => ({ name: `p-${Math.random()}`, model: 'm' }),
  },
  'GET /v1/workspaces/{wid}/agent-profiles': { expect: members(200) },
  'GET /v1/agent-profiles/{id}': { expect: members(200), params: (f) => ({ id: f.profileId }) },
  'PUT /v1/agent-profiles/{id}': {
    expect: members(200),
    params: (f) => ({ id: f.profileId }),
    body: () => ({ model: 'm2' }),
  },
  'GET /v1/agent-profiles/{id}/versions': { expect: members(200), params: (f) => ({ id: f.profileId }) },
  // The viewer (a workspace member) deletes it; then it is gone for everyone.
  'DELETE /v1/agent-profiles/{id}': { expect: { ...members(404), viewer: 204 }, params: (f) => ({ id: f.profileId }) },
  'GET /v1/executions/{id}': { expect: members(200), params: (f) => ({ id: f.executionId }) },
  'GET /v1/executions/{id}/events': { expect: members(200), params: (f) => ({ id: f.executionId }) },
  'GET /v1/executions/{id}/artifacts': { expect: members(200), params: (f) => ({ id: f.executionId }) },
  'GET /v1/executions/{id}/runs': { expect: members(200), params: (f) => ({ id: f.executionId }) },
  'GET /v1/artifacts/{id}': { expect: members(200), params: (f) => ({ id: f.artifactId }) },
  'POST /v1/executions/{id}/events': {
    expect: controllers(200, 200),
    params: (f) => ({ id: f.executionId }),
    body: () => ({ name: 'ping' }),
  },
  // The editor acts first; after that the intervention no longer applies (409).
  'POST /v1/executions/{id}/pause': { expect: controllers(200, 409), params: (f) => ({ id: f.executionId }) },
  'POST /v1/executions/{id}/resume': { expect: controllers(409, 409), params: (f) => ({ id: f.executionId }) },
  'POST /v1/executions/{id}/cancel': { expect: controllers(200, 409), params: (f) => ({ id: f.executionId }) },
  'POST /v1/executions/{id}/move': {
    expect: controllers(404, 404),
    params: (f) => ({ id: f.executionId }),
    body: () => ({ version: 2 }),
  },
  'POST /v1/executions/{id}/steps/{stepId}/approve': {
    expect: controllers(200, 409),
    params: (f) => ({ id: f.executionId, stepId: 'gate' }),
  },
  'POST /v1/executions/{id}/steps/{stepId}/reject': {
    expect: controllers(200, 409),
    params: (f) => ({ id: f.executionId, stepId: 'gate' }),
  },
  'POST /v1/executions/{id}/steps/{stepId}/retry': {
    expect: controllers(409, 409),
    params: (f) => ({ id: f.executionId, stepId: 'gate' }),
  },
  'POST /v1/executions/{id}/steps/{stepId}/skip': {
    expect: controllers(200, 200),
    params: (f) => ({ id: f.executionId, stepId: 'later' }),
    body: () => ({ output: 'skipped' }),
  },
  'POST /v1/executions/{id}/steps/{stepId}/input': {
    expect: controllers(200, 200),
    params: (f) => ({ id: f.executionId, stepId: 'later' }),
    body: () => ({ input: { a: 1 } }),
  },
  // Search shows members what they may see; bulk actions answer 200 to members with each id's
  // outcome (a viewer's is 'forbidden').
  'GET /v1/workspaces/{wid}/executions': { expect: members(200) },
  'GET /v1/dashboards/{id}/executions': { expect: members(200) },
  'POST /v1/workspaces/{wid}/executions/cancel': { expect: members(200), body: (f) => ({ ids: [f.executionId] }) },
  'POST /v1/workspaces/{wid}/executions/retry': { expect: members(200), body: (f) => ({ ids: [f.executionId] }) },
  'GET /v1/dashboards/{id}/sessions': { expect: members(200) },
  // A terminal gives a shell: those who control the dashboard; they share its one terminal session.
  'POST /v1/dashboards/{id}/terminals': { expect: controllers(201, 201) },
  // Stopping an ended session again is harmless (204).
  'DELETE /v1/sessions/{id}': { expect: controllers(204, 204), params: (f) => ({ id: f.sessionId }) },
  // Callbacks are not user calls: whoever sends one without the session's signature gets 401.
  'POST /v1/workspaces/{wid}/schedules': {
    expect: controllers(201, 201),
    body: (f) => ({
      name: 'Nightly',
      recipeId: f.recipeId,
      dashboardId: f.dashboardId,
      cron: '0 3 * * *',
      timezone: 'Europe/Berlin',
    }),
  },
  'GET /v1/workspaces/{wid}/schedules': { expect: members(200) },
  'GET /v1/schedules/{id}': { expect: members(200), params: (f) => ({ id: f.scheduleId }) },
  'PATCH /v1/schedules/{id}': {
    expect: controllers(200, 200),
    params: (f) => ({ id: f.scheduleId }),
    body: () => ({ paused: true }),
  },
  // The editor deletes it; then it is gone for everyone.
  'DELETE /v1/schedules/{id}': { expect: controllers(204, 404), params: (f) => ({ id: f.scheduleId }) },
  'GET /v1/schedules/{id}/fires': { expect: members(200), params: (f) => ({ id: f.scheduleId }) },
  // A trigger that starts executions needs control of its dashboard; the others need recipe.manage (members).
  'POST /v1/workspaces/{wid}/triggers': {
    expect: controllers(201, 201),
    body: (f) => ({
      name: 'On push',
      source: 'webhook',
      action: { kind: 'start', recipeId: f.recipeId, dashboardId: f.dashboardId },
    }),
  },
  'GET /v1/workspaces/{wid}/triggers': { expect: members(200) },
  'GET /v1/triggers/{id}': { expect: members(200), params: (f) => ({ id: f.triggerId }) },
  'PATCH /v1/triggers/{id}': {
    expect: members(200),
    params: (f) => ({ id: f.triggerId }),
    body: () => ({ name: 'Renamed' }),
  },
  // The viewer (a workspace member) deletes it; then it is gone for everyone.
  'DELETE /v1/triggers/{id}': { expect: { ...members(404), viewer: 204 }, params: (f) => ({ id: f.triggerId }) },
  'GET /v1/triggers/{id}/events': { expect: members(200), params: (f) => ({ id: f.triggerId }) },
  // Webhooks are not user calls: a delivery for an installation no workspace connected is 401 for everyone.
  'POST /v1/hooks/github': {
    expect: { anonymous: 401, viewer: 401, editor: 401, owner: 401, admin: 401, outsider: 401 },
    body: () => ({ installation: { id: 424242 } }),
  },
  // Integrations hand out access to a team's code and documents: workspace admins only.
  'GET /v1/workspaces/{wid}/integrations': { expect: admins(200) },
  // The admin passes the access check; the key is not one GitHub issues (400 naming privateKey).
  'POST /v1/workspaces/{wid}/integrations/github': {
    expect: admins(400),
    body: () => ({
      appId: '1',
      privateKey: '-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n',
      webhookSecret: 'a-webhook-secret-of-16+',
      installationId: 1,
    }),
  },
  // This server has no Google client: the admin learns it is not configured (503).
  'POST /v1/workspaces/{wid}/integrations/google-drive': { expect: admins(503) },
  // Signed-in callers get past the door; without Google's `state` the request is malformed.
  'GET /v1/integrations/google-drive/callback': {
    expect: { anonymous: 401, viewer: 400, editor: 400, owner: 400, admin: 400, outsider: 400 },
  },
  'DELETE /v1/workspaces/{wid}/integrations/{id}': { expect: admins(204), params: (f) => ({ id: f.integrationId }) },
  // The webhook signing secret: workspace admins only. A new workspace has none yet (404 for the admin).
  'GET /v1/workspaces/{wid}/webhook-signing-secret': { expect: admins(404) },
  'POST /v1/workspaces/{wid}/webhook-signing-secret': { expect: admins(201) },
  // Without the trigger's signature: 401, whoever asks (and for unknown triggers alike).
  'POST /v1/hooks/{triggerId}': {
    expect: { anonymous: 401, viewer: 401, editor: 401, owner: 401, admin: 401, outsider: 401 },
    params: (f) => ({ triggerId: f.triggerId }),
  },
  'POST /v1/sandbox-events': {
    expect: { anonymous: 401, viewer: 401, editor: 401, owner: 401, admin: 401, outsider: 401 },
    body: (f) => ({
      id: crypto.randomUUID(),
      sessionId: f.sessionId,
      epoch: 1,
      sandboxId: 'sb',
      at: new Date().toISOString(),
      type: 'heartbeat',
      data: {},
    }),
  },
};

let database: TestDatabase;
let baton: TestApp;
const tokens = {} as Record<Exclude<Role, 'anonymous'>, { secret: string; userId: string }>;

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_RATE_LIMIT_DEVICE_CODE_PER_MINUTE: '100000',
  });
  for (const role of ['viewer', 'editor', 'owner', 'admin', 'outsider'] as const) {
    const made = await bootstrapToken(baton.ctx, {
      email: `${role}@example.com`,
      ...(role === 'outsider' ? { workspaceName: 'Elsewhere' } : {}),
    });
    tokens[role] = { secret: made.secret, userId: made.user.id };
  }
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

/** A fresh workspace for each route, so destructive calls do not disturb the next route. */
async function fixture(): Promise<Fixture> {
  const ctx = baton.ctx;
  const admin = sessionPrincipal(tokens.admin.userId);
  const workspace = await ctx.workspaces.create({ name: `W-${Math.random()}`, createdBy: tokens.admin.userId });
  for (const role of ['viewer', 'editor', 'owner'] as const)
    await setMember(ctx, admin, workspace.id, { email: `${role}@example.com`, role: 'member' }, 'setup');
  const spare = await setMember(
    ctx,
    admin,
    workspace.id,
    { email: `spare-${Math.random()}@example.com`, role: 'member' },
    'setup',
  );
  const owner = sessionPrincipal(tokens.owner.userId);
  const dashboard = await createDashboard(ctx, owner, workspace.id, { name: 'Board' }, 'setup');
  await setDashboardMember(ctx, owner, dashboard.id, tokens.editor.userId, { role: 'editor' }, 'setup');
  await setDashboardMember(ctx, owner, dashboard.id, tokens.viewer.userId, { role: 'viewer' }, 'setup');
  await setDashboardMember(ctx, owner, dashboard.id, spare.userId, { role: 'viewer' }, 'setup');
  const item = await createItem(ctx, owner, dashboard.id, { kind: 'note', title: 'First', body: '' });
  const ownersToken = await createApiToken(ctx, owner, { name: 'spare', scopes: ['read'] }, 'setup');
  const session = await baton.db
    .insertInto('sessions')
    .values({
      workspace_id: workspace.id,
      dashboard_id: dashboard.id,
      purpose: 'terminal',
      status: 'ended',
      epoch: 1,
      callback_secret: 'x',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // A connection as an admin would have made it (connecting needs GitHub; this test is about who may ask).
  const integration = await baton.db
    .insertInto('integrations')
    .values({
      workspace_id: workspace.id,
      provider: 'github',
      status: 'connected',
      name: 'acme',
      external_id: String(Math.floor(Math.random() * 1e12)),
      details: '{}',
      secret_id: null,
      created_by: tokens.admin.userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const orchestrated = await orchestration(workspace.id, dashboard.id);
  // An artifact as a run reports it (a run needs a sandbox; this test is about who may ask).
  const artifact = await baton.db
    .insertInto('artifacts')
    .values({
      run_key: `${orchestrated.executionId}/later/1`,
      artifact_id: 'a1',
      execution_id: orchestrated.executionId,
      step_id: 'later',
      kind: 'report',
      title: 'Report',
      content: 'text',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return {
    workspaceId: workspace.id,
    dashboardId: dashboard.id,
    spareUserId: spare.userId,
    ownersTokenId: ownersToken.token.id,
    itemId: item.id,
    sessionId: session.id,
    integrationId: integration.id,
    ...orchestrated,
    artifactId: artifact.id,
  };
}

/**
 * A recipe, an agent profile, an execution waiting at its approval step, a schedule
 * and a trigger, made through the API.
 */
async function orchestration(
  workspaceId: string,
  dashboardId: string,
): Promise<Pick<Fixture, 'recipeId' | 'executionId' | 'profileId' | 'scheduleId' | 'triggerId'>> {
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${baton.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.owner.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { id: string };
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const recipe = await post(`/v1/workspaces/${workspaceId}/recipes`, { yaml: recipeYaml });
  const profile = await post(`/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' });
  const execution = await post(`/v1/recipes/${recipe.id}/executions`, { dashboardId });
  const schedule = await post(`/v1/workspaces/${workspaceId}/schedules`, {
    name: 'Yearly',
    recipeId: recipe.id,
    dashboardId,
    cron: '0 0 1 1 *',
  });
  const trigger = await post(`/v1/workspaces/${workspaceId}/triggers`, {
    name: 'Deploys',
    source: 'webhook',
    action: { kind: 'wake', event: 'deploy' },
  });
  return {
    recipeId: recipe.id,
    executionId: execution.id,
    profileId: profile.id,
    scheduleId: schedule.id,
    triggerId: trigger.id,
  };
}

describe('authorization matrix', () => {
  it('covers every /v1 route in /openapi.json', async () => {
    const doc = (await (await fetch(`${baton.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const routes = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .filter((r) => r.split(' ')[1]?.startsWith('/v1/'));
    const missing = routes.filter((r) => !(r in matrix));
    expect(missing, 'routes missing from the authorization matrix').toEqual([]);
    expect(
      Object.keys(matrix).filter((r) => !routes.includes(r)),
      'matrix entries for routes that do not exist',
    ).toEqual([]);
  });

  for (const [route, spec] of Object.entries(matrix)) {
    it(`${route}`, async () => {
      const f = await fixture();
      const [method = 'GET', template = ''] = route.split(' ');
      const params = { wid: f.workspaceId, id: f.dashboardId, ...spec.params?.(f) };
      const path = template.replace(
        /\{(\w+)\}/g,
        (_, name: string) => params[name as keyof typeof params] ?? 'missing',
      );
      const got: Partial<Expect> = {};
      // Least privileged first, so that a destructive call by an allowed role comes after the refusals.
      for (const role of roles) {
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (role !== 'anonymous') {
          const principal = sessionPrincipal(tokens[role].userId);
          const secret =
            spec.ownToken === true
              ? (await createApiToken(baton.ctx, principal, { name: 'own', scopes: ['read'] }, 'setup')).secret
              : tokens[role].secret;
          headers.authorization = `Bearer ${secret}`;
        }
        const body = spec.body?.(f);
        const res = await fetch(`${baton.url}${path}`, {
          method,
          headers,
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        got[role] = res.status;
        if (res.status >= 400)
          expect(((await res.json()) as { error: { code: string } }).error.code).toBeTypeOf('string');
      }
      expect(got).toEqual(spec.expect);
    });
  }
});
