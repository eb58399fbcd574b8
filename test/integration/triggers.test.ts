import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTriggerStore } from '../../src/adapters/postgres/trigger-store.ts';
import { createDashboard, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { createCelExpressions } from '../../src/app/orchestrator/cel-expressions.ts';
import { Engine } from '../../src/app/orchestrator/engine.ts';
import { handleInboundEvent } from '../../src/app/triggers/fire.ts';
import { signHook, signWebhook } from '../../src/app/triggers/hook-signature.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-stand-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const githubSecret = 'github-app-webhook-secret-for-tests';
let database: TestDatabase;
let baton: TestApp;
let gitHub: GitHubStandIn;
let owner: { secret: string; userId: string };
let editor: { secret: string; userId: string };
let viewer: { secret: string; userId: string };
let workspaceId: string;
let dashboardId: string;
let deployRecipeId: string;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);
const deployYaml =
  'name: deploy\ninputs: { branch: { type: string }, repo: { type: string } }\nsteps:\n  ' +
  '- { id: gate, kind: approval, prompt: "Deploy ${inputs.branch} of ${inputs.repo}?" }\n';

beforeAll(async () => {
  database = await createTestDatabase();
  gitHub = await startGitHubStandIn();
  gitHub.addInstallation({
    id: 42,
    account: { login: 'acme' },
    repositories: ['app', 'other'],
    permissions: { contents: 'read', metadata: 'read' },
  });
  baton = await startTestApp(database.url, {
    BATON_GITHUB_API_URL: gitHub.url,
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
  });
  const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: 'Hooks' });
  owner = { secret: made.secret, userId: made.user.id };
  workspaceId = made.workspace?.id ?? '';
  // Deliveries of installation 42 belong to this workspace and are checked with the stored secret.
  const connected = await api('POST', `/v1/workspaces/${workspaceId}/integrations/github`, owner.secret, {
    appId: gitHub.appId,
    privateKey: gitHub.privateKeyPem,
    webhookSecret: githubSecret,
    installationId: 42,
  });
  expect(connected.status, JSON.stringify(connected.body)).toBe(201);
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(owner.userId), workspaceId, { name: 'Deploys' }, 'setup')
  ).id;
  for (const role of ['editor', 'viewer'] as const) {
    const person = await bootstrapToken(baton.ctx, { email: `${role}@example.com` });
    await setMember(
      baton.ctx,
      sessionPrincipal(owner.userId),
      workspaceId,
      { email: `${role}@example.com`, role: 'member' },
      'setup',
    );
    await setDashboardMember(baton.ctx, sessionPrincipal(owner.userId), dashboardId, person.user.id, { role }, 'setup');
    if (role === 'editor') editor = { secret: person.secret, userId: person.user.id };
    else viewer = { secret: person.secret, userId: person.user.id };
  }
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, { yaml: deployYaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  deployRecipeId = recipe.body.id;
});
afterAll(async () => {
  await baton?.close();
  await gitHub?.close();
  await database?.drop();
});

/** A realistic GitHub push payload (trimmed). */
function pushPayload(ref: string, repo = 'acme/app') {
  const sha = crypto.randomUUID().replaceAll('-', '').padEnd(40, '0');
  return {
    ref,
    before: '0'.repeat(40),
    after: sha,
    repository: {
      id: 1296269,
      name: repo.split('/')[1],
      full_name: repo,
      private: true,
      owner: { login: repo.split('/')[0] },
      default_branch: 'main',
    },
    pusher: { name: 'octocat', email: 'octocat@example.com' },
    sender: { login: 'octocat', id: 1 },
    installation: { id: 42 },
    created: false,
    deleted: false,
    forced: false,
    compare: `https://github.com/${repo}/compare/000000000000...${sha.slice(0, 12)}`,
    commits: [
      {
        id: sha,
        message: 'Fix the flaky test',
        timestamp: '2025-01-02T03:04:05Z',
        author: { name: 'Octo Cat', username: 'octocat' },
        added: [],
        removed: [],
        modified: ['src/app.ts'],
      },
    ],
    head_commit: {
      id: sha,
      message: 'Fix the flaky test',
      timestamp: '2025-01-02T03:04:05Z',
      author: { name: 'Octo Cat', username: 'octocat' },
    },
  };
}

/** Posts a webhook with the exact bytes that were signed. */
async function postHook(
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: { id?: string; duplicate?: boolean; error?: { code: string; message: string } } }> {
  const res = await fetch(`${baton.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as never };
}

async function github(event: string, payload: object, delivery: string = crypto.randomUUID()) {
  const body = JSON.stringify(payload);
  return postHook('/v1/hooks/github', body, {
    'x-github-event': event,
    'x-github-delivery': delivery,
    'x-hub-signature-256': await signHook(githubSecret, body),
  });
}

/** A generic delivery, signed now over timestamp, delivery id (a fresh one unless given) and body. */
async function webhook(
  triggerId: string,
  secret: string,
  payload: object,
  headers: Record<string, string> = {},
  nowMs = Date.now(),
) {
  const body = JSON.stringify(payload);
  const signed = await signWebhook(secret, {
    body,
    deliveryId: headers['x-baton-delivery'] ?? crypto.randomUUID(),
    nowMs,
  });
  return postHook(`/v1/hooks/${triggerId}`, body, { ...headers, ...signed });
}

async function createTrigger(body: object, token = owner.secret) {
  const res = await api('POST', `/v1/workspaces/${workspaceId}/triggers`, token, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; secret?: string; hookUrl: string };
}

/** What the trigger did with the event, once it did something. */
async function firingOf(triggerId: string, eventId: string) {
  return eventually(
    async () => {
      const res = await api('GET', `/v1/triggers/${triggerId}/events?limit=200`, viewer.secret);
      const seen = (
        res.body.events as Array<{
          id: string;
          firing: { outcome: string; executionId: string | null; woke: number | null; reason: string | null } | null;
        }>
      ).find((e) => e.id === eventId);
      return seen?.firing ?? undefined;
    },
    10_000,
    `the firing of ${eventId}`,
  );
}

const count = async (table: 'inbound_events' | 'trigger_firings' | 'executions') =>
  Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(baton.db)).rows[0]?.n);
const execution = async (id: string) => (await api('GET', `/v1/executions/${id}`, viewer.secret)).body;

describe('GitHub triggers', () => {
  let triggerId: string;
  beforeAll(async () => {
    const trigger = await createTrigger({
      name: 'deploy main',
      source: 'github',
      event: 'push',
      filter: 'event.payload.ref.startsWith("refs/heads/") && event.payload.repository.full_name == "acme/app"',
      action: {
        kind: 'start',
        recipeId: deployRecipeId,
        dashboardId,
        inputs: { branch: 'event.payload.ref.substring(11)', repo: 'event.payload.repository.full_name' },
      },
    });
    expect(trigger.secret).toBeUndefined();
    expect(trigger.hookUrl).toBe(`${baton.url}/v1/hooks/github`);
    triggerId = trigger.id;
  });

  it('a signed push starts the recipe with the pushed branch; the same delivery again starts nothing', async () => {
    const delivery = crypto.randomUUID();
    const payload = pushPayload('refs/heads/main');
    const received = await github('push', payload, delivery);
    expect(received.status).toBe(202);
    expect(received.body.duplicate).toBe(false);
    const eventId = received.body.id ?? '';

    const firing = await firingOf(triggerId, eventId);
    expect(firing.outcome).toBe('started');
    const started = await execution(firing.executionId ?? '');
    expect(started.inputs).toEqual({ branch: 'main', repo: 'acme/app' });
    expect(started.recipeId).toBe(deployRecipeId);
    expect(started.dashboardId).toBe(dashboardId);
    expect(started.createdBy).toBe(owner.userId);
    expect(started.status).toBe('waiting');

    const before = {
      events: await count('inbound_events'),
      firings: await count('trigger_firings'),
      executions: await count('executions'),
    };
    const replay = await github('push', payload, delivery);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ id: eventId, duplicate: true });
    // Let a later delivery be handled completely; the replay left nothing to handle.
    const later = await github('push', pushPayload('refs/heads/later'));
    expect((await firingOf(triggerId, later.body.id ?? '')).outcome).toBe('started');
    expect(await count('inbound_events')).toBe(before.events + 1);
    expect(await count('trigger_firings')).toBe(before.firings + 1);
    expect(await count('executions')).toBe(before.executions + 1);
  });

  it('handling one event several times at once starts one execution', async () => {
    const deps = {
      ctx: baton.ctx,
      triggers: createTriggerStore(baton.db, baton.ctx.credentials.sealer),
      expressions: createCelExpressions(),
      logger: silentLogger,
    };
    const engine = new Engine({
      unitOfWork: baton.ctx.unitOfWork,
      executions: baton.ctx.executions,
      recipes: baton.ctx.recipes,
      outbox: { kick: () => undefined },
      clock: baton.ctx.clock,
      expressions: deps.expressions,
      logger: silentLogger,
    });
    const received = await github('push', pushPayload('refs/heads/race'));
    const before = await count('executions');
    // The server's own job runs too: three handlers race for the same event.
    await Promise.all([
      handleInboundEvent({ ...deps, engine }, received.body.id ?? ''),
      handleInboundEvent({ ...deps, engine }, received.body.id ?? ''),
    ]);
    await handleInboundEvent({ ...deps, engine }, received.body.id ?? '');
    const firing = await firingOf(triggerId, received.body.id ?? '');
    expect(firing.outcome).toBe('started');
    expect(await count('executions')).toBe(before + 1);
    expect((await execution(firing.executionId ?? '')).inputs.branch).toBe('race');
  });

  it('a bad or missing signature gets 401 and stores nothing', async () => {
    const before = await count('inbound_events');
    const body = JSON.stringify(pushPayload('refs/heads/main'));
    const headers = { 'x-github-event': 'push', 'x-github-delivery': crypto.randomUUID() };
    for (const signature of [
      await signHook('not-the-github-secret', body),
      await signHook(githubSecret, `${body} `),
      'sha256=nothex',
      undefined,
    ]) {
      const res = await postHook('/v1/hooks/github', body, {
        ...headers,
        ...(signature === undefined ? {} : { 'x-hub-signature-256': signature }),
      });
      expect(res.status, signature).toBe(401);
      expect(res.body.error?.code).toBe('unauthenticated');
    }
    expect(await count('inbound_events')).toBe(before);
  });

  it('refuses bodies that are not JSON objects and missing GitHub headers with 400, never 500', async () => {
    for (const body of ['[1,2]', '"text"', 'null']) {
      // Refused before any signature check: a body that is no object names no installation either.
      const res = await postHook('/v1/hooks/github', body, {
        'x-github-event': 'push',
        'x-github-delivery': crypto.randomUUID(),
        'x-hub-signature-256': await signHook(githubSecret, body),
      });
      expect(res.status, body).toBe(400);
      expect(res.body.error?.message).toContain('must be a JSON object');
    }
    const body = JSON.stringify({ zero: 'a\u0000b', installation: { id: 42 } });
    expect(
      (
        await postHook('/v1/hooks/github', body, {
          'x-github-delivery': crypto.randomUUID(),
          'x-hub-signature-256': await signHook(githubSecret, body),
        })
      ).body.error?.message,
    ).toContain('x-github-event');
    expect((await github('push', { zero: 'a\u0000b', installation: { id: 42 } })).status).toBe(202);
  });

  it('an event the filter does not match starts nothing, but is stored with its outcome', async () => {
    const before = await count('executions');
    const tag = await github('push', pushPayload('refs/tags/v1.0.0'));
    const otherRepo = await github('push', pushPayload('refs/heads/main', 'acme/other'));
    for (const received of [tag, otherRepo]) {
      expect(received.status).toBe(202);
      const firing = await firingOf(triggerId, received.body.id ?? '');
      expect(firing).toMatchObject({ outcome: 'skipped', executionId: null, reason: 'the filter did not match' });
    }
    expect(await count('executions')).toBe(before);
  });
});

describe('generic webhook triggers', () => {
  it('start with their own secret, shown once; a repeated delivery id is one delivery', async () => {
    const trigger = await createTrigger({
      name: 'ci',
      source: 'webhook',
      action: {
        kind: 'start',
        recipeId: deployRecipeId,
        dashboardId,
        inputs: { branch: 'event.payload.branch', repo: '"acme/" + event.name' },
      },
    });
    expect(trigger.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(trigger.hookUrl).toBe(`${baton.url}/v1/hooks/${trigger.id}`);
    const shown = await api('GET', `/v1/triggers/${trigger.id}`, owner.secret);
    expect(JSON.stringify(shown.body)).not.toContain(trigger.secret);
    expect(
      JSON.stringify((await api('GET', `/v1/workspaces/${workspaceId}/triggers`, owner.secret)).body),
    ).not.toContain(trigger.secret);

    const received = await webhook(
      trigger.id,
      trigger.secret ?? '',
      { branch: 'feature/x' },
      { 'x-baton-event': 'build', 'x-baton-delivery': 'build-1' },
    );
    expect(received.status).toBe(202);
    const firing = await firingOf(trigger.id, received.body.id ?? '');
    expect(firing.outcome).toBe('started');
    expect((await execution(firing.executionId ?? '')).inputs).toEqual({ branch: 'feature/x', repo: 'acme/build' });
    // The sender retrying the same delivery (signed again, or the very same request) changes nothing.
    expect(
      await webhook(
        trigger.id,
        trigger.secret ?? '',
        { branch: 'feature/x' },
        { 'x-baton-event': 'build', 'x-baton-delivery': 'build-1' },
      ),
    ).toEqual({ status: 200, body: { id: received.body.id, duplicate: true } });

    // Inputs that do not fit the recipe are recorded as the outcome.
    const wrong = await webhook(trigger.id, trigger.secret ?? '', { branch: 42 }, { 'x-baton-delivery': 'd-42' });
    expect(await firingOf(trigger.id, wrong.body.id ?? '')).toMatchObject({
      outcome: 'failed',
      reason: expect.stringContaining('inputs.branch'),
    });
  });

  it('refuse unknown triggers and bad signatures alike with 401, storing nothing', async () => {
    const trigger = await createTrigger({ name: 'quiet', source: 'webhook', action: { kind: 'wake', event: 'never' } });
    const before = await count('inbound_events');
    for (const [id, secret] of [
      [trigger.id, 'wrong-secret'],
      [crypto.randomUUID(), trigger.secret ?? ''],
    ] as const) {
      const res = await webhook(id, secret, { a: 1 });
      expect(res.status).toBe(401);
      expect(res.body.error?.message).toBe('The webhook signature is missing or wrong');
    }
    expect((await postHook(`/v1/hooks/${trigger.id}`, '{}', {})).status).toBe(401);
    expect(await count('inbound_events')).toBe(before);
  });

  it(
    'cannot be replayed: not under a new delivery id, ' + 'not after the window, not signed over the body alone',
    async () => {
      const trigger = await createTrigger({
        name: 'replays',
        source: 'webhook',
        action: {
          kind: 'start',
          recipeId: deployRecipeId,
          dashboardId,
          inputs: { branch: 'event.payload.branch', repo: '"acme/app"' },
        },
      });
      const secret = trigger.secret ?? '';
      const body = JSON.stringify({ branch: 'main' });
      const captured = {
        'x-baton-event': 'build',
        ...(await signWebhook(secret, { body, deliveryId: 'captured-1', nowMs: Date.now() })),
      };
      const first = await postHook(`/v1/hooks/${trigger.id}`, body, captured);
      expect(first.status).toBe(202);
      expect((await firingOf(trigger.id, first.body.id ?? '')).outcome).toBe('started');
      const before = { events: await count('inbound_events'), executions: await count('executions') };

      // The very same request again: a duplicate, nothing started.
      expect((await postHook(`/v1/hooks/${trigger.id}`, body, captured)).body.duplicate).toBe(true);
      // The captured request under a fresh delivery id: the signature covers the id.
      const renamed = await postHook(`/v1/hooks/${trigger.id}`, body, {
        ...captured,
        'x-baton-delivery': 'captured-2',
      });
      expect(renamed).toMatchObject({
        status: 401,
        body: { error: { message: 'The webhook signature is missing or wrong' } },
      });
      // Or with a fresh timestamp: the signature covers it too.
      const retimed = await postHook(`/v1/hooks/${trigger.id}`, body, {
        ...captured,
        'x-baton-delivery': 'captured-3',
        'x-baton-timestamp': String(Math.floor(Date.now() / 1000) + 1),
      });
      expect(retimed.status).toBe(401);
      // A month-old delivery, correctly signed, is outside the window.
      const old = await webhook(
        trigger.id,
        secret,
        { branch: 'main' },
        { 'x-baton-delivery': 'from-last-month' },
        Date.now() - 30 * 86_400_000,
      );
      expect(old.status).toBe(401);
      expect(old.body.error?.message).toContain('X-Baton-Timestamp');
      expect((await webhook(trigger.id, secret, { branch: 'main' }, {}, Date.now() + 10 * 60_000)).status).toBe(401);
      // The old scheme (body only, no timestamp) is refused with a pointer to the new one.
      const bodyOnly = await postHook(`/v1/hooks/${trigger.id}`, body, {
        'x-baton-signature-256': await signHook(secret, body),
        'x-baton-delivery': 'legacy-1',
      });
      expect(bodyOnly.status).toBe(401);
      expect(bodyOnly.body.error?.message).toContain('docs/triggers.md');
      // A delivery id is required, and well formed (no ".": it separates the signed parts).
      const noId = await signWebhook(secret, { body, deliveryId: 'x', nowMs: Date.now() });
      for (const delivery of [undefined, 'has.dot', 'x'.repeat(201)]) {
        const headers: Record<string, string> = { ...noId };
        if (delivery === undefined) delete headers['x-baton-delivery'];
        else headers['x-baton-delivery'] = delivery;
        const res = await postHook(`/v1/hooks/${trigger.id}`, body, headers);
        expect({ delivery, status: res.status }).toEqual({ delivery, status: 400 });
        expect(res.body.error?.message).toContain('x-baton-delivery');
      }
      expect({ events: await count('inbound_events'), executions: await count('executions') }).toEqual(before);
    },
  );

  it('wake a waiting wait step whose match holds', async () => {
    const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, owner.secret, {
      yaml:
        'name: release\nsteps:\n  - { id: w, kind: wait, event: ' +
        '{ name: deploy, match: \'event.env == "prod"\' } }\n',
    });
    const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, owner.secret, { dashboardId });
    expect(started.body.steps.w.status).toBe('waiting');
    const trigger = await createTrigger({
      name: 'deploys',
      source: 'webhook',
      action: { kind: 'wake', event: 'deploy' },
    });

    const staging = await webhook(trigger.id, trigger.secret ?? '', { env: 'staging' });
    expect(await firingOf(trigger.id, staging.body.id ?? '')).toMatchObject({ outcome: 'woke', woke: 0 });
    expect((await execution(started.body.id)).steps.w.status).toBe('waiting');

    const prod = await webhook(trigger.id, trigger.secret ?? '', { env: 'prod', version: '1.2.3' });
    expect(await firingOf(trigger.id, prod.body.id ?? '')).toMatchObject({ outcome: 'woke', woke: 1 });
    const woken = await execution(started.body.id);
    expect(woken.steps.w).toMatchObject({ status: 'succeeded', output: { event: { env: 'prod', version: '1.2.3' } } });
    expect(woken.status).toBe('succeeded');
  });
});

describe('managing triggers', () => {
  it('a bad filter or input expression is a 400 naming the field', async () => {
    const base = {
      name: 'bad',
      source: 'github',
      action: { kind: 'start', recipeId: deployRecipeId, dashboardId, inputs: { branch: '"main"', repo: '"r"' } },
    };
    for (const filter of ['event.payload.ref ==', 'payload.ref == "main"']) {
      const res = await api('POST', `/v1/workspaces/${workspaceId}/triggers`, owner.secret, { ...base, filter });
      expect(res.status, filter).toBe(400);
      expect(res.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['filter']);
      expect(res.body.error.message).toContain('body.filter');
    }
    const inputs = await api('POST', `/v1/workspaces/${workspaceId}/triggers`, owner.secret, {
      ...base,
      action: { ...base.action, inputs: { branch: 'event.(', repo: '"r"', nope: '"x"' } },
    });
    expect(inputs.status).toBe(400);
    expect(inputs.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual(['action.inputs.branch']);
    const undeclared = await api('POST', `/v1/workspaces/${workspaceId}/triggers`, owner.secret, {
      ...base,
      action: { ...base.action, inputs: { branch: '"b"', nope: '"x"' } },
    });
    expect(undeclared.body.error.details.issues.map((i: { path: string }) => i.path).sort()).toEqual([
      'action.inputs.nope',
      'action.inputs.repo',
    ]);
  });

  it(
    'a viewer cannot create a trigger that starts executions ' + 'on the dashboard; the editor can, and is audited',
    async () => {
      const body = {
        name: 'mine',
        source: 'webhook',
        action: { kind: 'start', recipeId: deployRecipeId, dashboardId, inputs: { branch: '"b"', repo: '"r"' } },
      };
      expect((await api('POST', `/v1/workspaces/${workspaceId}/triggers`, viewer.secret, body)).status).toBe(403);
      const made = await createTrigger(body, editor.secret);
      const audit = await api('GET', `/v1/workspaces/${workspaceId}/audit`, owner.secret);
      const entry = (audit.body.entries as Array<{ action: string; targetId: string; details: object }>).find(
        (e) => e.action === 'trigger.created' && e.targetId === made.id,
      );
      expect(entry).toBeDefined();
      expect(JSON.stringify(audit.body)).not.toContain(made.secret);
    },
  );

  it('refuses to start when the creator lost control of the dashboard, and records why', async () => {
    const dashboard = await createDashboard(
      baton.ctx,
      sessionPrincipal(owner.userId),
      workspaceId,
      { name: 'Later' },
      'setup',
    );
    await setDashboardMember(
      baton.ctx,
      sessionPrincipal(owner.userId),
      dashboard.id,
      editor.userId,
      { role: 'editor' },
      'setup',
    );
    const trigger = await createTrigger(
      {
        name: 'editor',
        source: 'webhook',
        action: {
          kind: 'start',
          recipeId: deployRecipeId,
          dashboardId: dashboard.id,
          inputs: { branch: '"b"', repo: '"r"' },
        },
      },
      editor.secret,
    );
    await setDashboardMember(
      baton.ctx,
      sessionPrincipal(owner.userId),
      dashboard.id,
      editor.userId,
      { role: 'viewer' },
      'setup',
    );
    const received = await webhook(trigger.id, trigger.secret ?? '', { go: true });
    expect(await firingOf(trigger.id, received.body.id ?? '')).toMatchObject({
      outcome: 'refused',
      executionId: null,
      reason: expect.stringContaining('may no longer start executions'),
    });
  });

  it('disabling, editing and deleting', async () => {
    const trigger = await createTrigger({ name: 'toggle', source: 'webhook', action: { kind: 'wake', event: 'x' } });
    const patched = await api('PATCH', `/v1/triggers/${trigger.id}`, owner.secret, {
      enabled: false,
      filter: 'event.payload.ok == true',
      name: 'toggled',
    });
    expect(patched.body).toMatchObject({ enabled: false, filter: 'event.payload.ok == true', name: 'toggled' });
    expect((await api('PATCH', `/v1/triggers/${trigger.id}`, owner.secret, { filter: 'oops(' })).status).toBe(400);
    const received = await webhook(trigger.id, trigger.secret ?? '', { ok: true });
    expect(await firingOf(trigger.id, received.body.id ?? '')).toMatchObject({
      outcome: 'skipped',
      reason: 'the trigger is disabled',
    });
    expect((await api('DELETE', `/v1/triggers/${trigger.id}`, owner.secret)).status).toBe(204);
    expect((await api('GET', `/v1/triggers/${trigger.id}`, owner.secret)).status).toBe(404);
    expect((await webhook(trigger.id, trigger.secret ?? '', { ok: true })).status).toBe(401);
  });
});
