import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { signHook } from '../../src/app/triggers/hook-signature.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi, sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-stand-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/** A workspace as its admin (the user who made it) set it up: with a dashboard and an agent profile `coder`. */
interface Space {
  readonly id: string;
  /** The admin's API token. */
  readonly admin: string;
  readonly adminId: string;
  readonly dashboardId: string;
}

const acme = 42;
const globex = 43;
/** The installation the tests remove and suspend: its own workspace, so the others keep working. */
const initech = 44;
const permissions = { contents: 'write', issues: 'write', pull_requests: 'write', metadata: 'read' };
const acmeHookSecret = 'acme-webhook-secret-0123456789';
const globexHookSecret = 'globex-webhook-secret-9876543210';
const initechHookSecret = 'initech-webhook-secret-5555555555';

let database: TestDatabase;
let standIn: GitHubStandIn;
let baton: TestApp;
let space: Space;
let outsider: Space;
let fragile: Space;
let member: string;
/** The answer to connecting installation 42 (made in `beforeAll`: every test builds on it). */
let connected: Awaited<ReturnType<typeof callApi>>;

const api = (method: string, path: string, token: string, body?: unknown) =>
  callApi(baton.url, method, path, token, body);
const connect = (s: Space, installationId: number, body: Record<string, unknown> = {}, token = s.admin) =>
  api('POST', `/v1/workspaces/${s.id}/integrations/github`, token, {
    appId: standIn.appId,
    privateKey: standIn.privateKeyPem,
    webhookSecret: acmeHookSecret,
    installationId,
    ...body,
  });
/** A line from the middle of the App's key: enough to tell whether the key was stored or shown in clear. */
const keyLine = () => standIn.privateKeyPem.split('\n')[10] ?? '';

async function makeSpace(email: string, name: string): Promise<Space> {
  const made = await bootstrapToken(baton.ctx, { email, workspaceName: name });
  const id = made.workspace?.id ?? '';
  const dashboardId = (await createDashboard(baton.ctx, sessionPrincipal(made.user.id), id, { name: 'Runs' }, 'setup'))
    .id;
  const profile = await api('POST', `/v1/workspaces/${id}/agent-profiles`, made.secret, {
    name: 'coder',
    model: 'test-model',
    tools: ['git'],
    promptTemplate: '${prompt}',
  });
  expect(profile.status, JSON.stringify(profile.body)).toBe(201);
  return { id, admin: made.secret, adminId: made.user.id, dashboardId };
}

/** Creates a recipe from YAML in the workspace and starts it; returns the execution id. */
async function run(s: Space, yaml: string, inputs: Record<string, unknown> = {}): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${s.id}/recipes`, s.admin, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, s.admin, {
    dashboardId: s.dashboardId,
    inputs,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}

/** The execution once it has finished (succeeded or failed), whichever it is. */
const finished = (s: Space, id: string) =>
  eventually(
    async () => {
      const body = (await api('GET', `/v1/executions/${id}`, s.admin)).body;
      return body.status === 'succeeded' || body.status === 'failed' ? body : undefined;
    },
    20_000,
    `execution ${id} to finish`,
  );

/** Asserts a JSON answer carries none of the connection's secrets, by value or by name. */
function expectNoSecrets(value: unknown): void {
  const text = JSON.stringify(value);
  for (const secret of [acmeHookSecret, globexHookSecret, initechHookSecret, keyLine(), 'PRIVATE KEY'])
    expect(text).not.toContain(secret);
  for (const name of ['privateKey', 'webhookSecret', 'secretId', 'secret_id']) expect(text).not.toContain(`"${name}"`);
}

const rowsOf = (table: 'credentials' | 'run_credentials') => baton.db.selectFrom(table).selectAll().execute();
const issuesOf = (res: { body: { error?: { details?: { issues?: Array<{ path: string; message: string }> } } } }) =>
  res.body.error?.details?.issues ?? [];

beforeAll(async () => {
  database = await createTestDatabase();
  standIn = await startGitHubStandIn();
  standIn.addInstallation({ id: acme, account: { login: 'acme' }, repositories: ['api', 'web'], permissions });
  standIn.addInstallation({ id: globex, account: { login: 'globex' }, repositories: ['api'], permissions });
  standIn.addInstallation({ id: initech, account: { login: 'initech' }, repositories: ['tps'], permissions });
  baton = await startTestApp(database.url, {
    BATON_GITHUB_API_URL: standIn.url,
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
  });
  space = await makeSpace('admin@acme.example', 'Acme');
  outsider = await makeSpace('admin@globex.example', 'Globex');
  fragile = await makeSpace('admin@initech.example', 'Initech');
  const plain = await bootstrapToken(baton.ctx, { email: 'member@acme.example' });
  await setMember(
    baton.ctx,
    sessionPrincipal(space.adminId),
    space.id,
    { email: 'member@acme.example', role: 'member' },
    'setup',
  );
  member = plain.secret;
  connected = await connect(space, acme);
  expect(connected.status, JSON.stringify(connected.body)).toBe(201);
  expect((await connect(outsider, globex, { webhookSecret: globexHookSecret })).status).toBe(201);
  expect((await connect(fragile, initech, { webhookSecret: initechHookSecret })).status).toBe(201);
});
afterAll(async () => {
  await baton?.close();
  await standIn?.close();
  await database?.drop();
});

describe('connecting a GitHub App installation', () => {
  it('an admin connects it; the answer, the list, the audit log and the stored row hold no secret', async () => {
    expect(connected.body).toMatchObject({
      workspaceId: space.id,
      provider: 'github',
      status: 'connected',
      name: 'acme',
      externalId: '42',
      details: { appId: standIn.appId },
    });
    expectNoSecrets(connected.body);
    const listed = await api('GET', `/v1/workspaces/${space.id}/integrations`, space.admin);
    expect(listed.status).toBe(200);
    expect(listed.body.integrations).toEqual([
      expect.objectContaining({ id: connected.body.id, status: 'connected', name: 'acme', externalId: '42' }),
    ]);
    expectNoSecrets(listed.body);

    // Sealed at rest: the row the connection points to holds neither secret in clear, nor does any other.
    const row = await baton.db
      .selectFrom('integrations')
      .select('secret_id')
      .where('id', '=', connected.body.id)
      .executeTakeFirstOrThrow();
    const stored = (await rowsOf('credentials')).find((c) => c.id === row.secret_id);
    expect(stored).toMatchObject({ workspace_id: space.id, purpose: 'github.app' });
    const everything = JSON.stringify(await rowsOf('credentials'));
    for (const secret of [acmeHookSecret, globexHookSecret, initechHookSecret, keyLine(), 'PRIVATE KEY'])
      expect(everything).not.toContain(secret);

    const audit = await api('GET', `/v1/workspaces/${space.id}/audit`, space.admin);
    const entry = (audit.body.entries as Array<{ action: string; targetId: string }>).find(
      (e) => e.action === 'integration.connected',
    );
    expect(entry).toMatchObject({
      targetId: connected.body.id,
      details: { provider: 'github', account: 'acme', installationId: '42' },
    });
    expectNoSecrets(audit.body);
  });

  it('is for admins: a member gets 403, an outsider 404, and nothing is connected', async () => {
    standIn.addInstallation({ id: 46, account: { login: 'hooli' }, repositories: ['x'], permissions });
    expect((await connect(space, 46, {}, member)).status).toBe(403);
    expect((await api('GET', `/v1/workspaces/${space.id}/integrations`, member)).status).toBe(403);
    expect((await connect(space, 46, {}, outsider.admin)).status).toBe(404);
    expect((await api('GET', `/v1/workspaces/${space.id}/integrations`, outsider.admin)).status).toBe(404);
    expect((await api('DELETE', `/v1/workspaces/${space.id}/integrations/${connected.body.id}`, member)).status).toBe(
      403,
    );
    expect(
      (await api('DELETE', `/v1/workspaces/${space.id}/integrations/${connected.body.id}`, outsider.admin)).status,
    ).toBe(404);
    expect((await api('GET', `/v1/workspaces/${space.id}/integrations`, space.admin)).body.integrations).toHaveLength(
      1,
    );
  });

  it(
    'refuses a bad key, an unknown or suspended installation ' +
      '(400 naming the field) and one connected already (409)',
    async () => {
      const notPem = await connect(space, 46, { privateKey: 'just some text' });
      expect(notPem.status).toBe(400);
      expect(issuesOf(notPem).map((i) => i.path)).toEqual(['privateKey']);
      const brokenPem = await connect(space, 46, {
        privateKey: '-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n',
      });
      expect(brokenPem.status).toBe(400);
      expect(issuesOf(brokenPem).map((i) => i.path)).toEqual(['privateKey']);
      expect(JSON.stringify(brokenPem.body)).not.toContain('bm90IGEga2V5');
      // A real key, but not this App's (or another App's id): GitHub refuses the App's JWT.
      const otherKey = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      }).privateKey;
      for (const body of [{ privateKey: otherKey }, { appId: '1' }]) {
        const refused = await connect(space, 46, body);
        expect(refused.status).toBe(400);
        expect(issuesOf(refused).map((i) => i.path)).toEqual(['appId', 'privateKey']);
        expect(refused.body.error.message).toContain('GitHub refused');
        expect(JSON.stringify(refused.body)).not.toContain(otherKey.split('\n')[10]);
      }

      const unknown = await connect(space, 999_999);
      expect(unknown.status).toBe(400);
      expect(issuesOf(unknown)).toEqual([
        expect.objectContaining({ path: 'installationId', message: expect.stringContaining('999999') }),
      ]);
      standIn.addInstallation({ id: 47, account: { login: 'umbrella' }, repositories: ['x'], permissions });
      standIn.suspend(47);
      const suspended = await connect(space, 47);
      expect(suspended.status).toBe(400);
      expect(issuesOf(suspended)).toEqual([
        expect.objectContaining({ path: 'installationId', message: expect.stringContaining('suspended') }),
      ]);

      expect((await connect(space, acme)).status).toBe(409);
      expect((await connect(outsider, acme, { webhookSecret: globexHookSecret })).status).toBe(409);
      expect((await api('GET', `/v1/workspaces/${space.id}/integrations`, space.admin)).body.integrations).toHaveLength(
        1,
      );
      expect(
        (await api('GET', `/v1/workspaces/${outsider.id}/integrations`, outsider.admin)).body.integrations.map(
          (i: { name: string }) => i.name,
        ),
      ).toEqual(['globex']);
    },
  );
});

const buildYaml = (repositories: string) => `
name: build
inputs: { repo: { type: string } }
steps:
  - id: build
    kind: agent
    profile: coder
    prompt: "Build \${inputs.repo}"
    github: { repositories: ${repositories}, permissions: { contents: write } }
    retry: { maxAttempts: 5, backoff: { initial: 50ms, factor: 1, max: 50ms } }
`;

describe('tokens for runs', () => {
  it(
    'a run gets one token for its repositories and permissions, ' + 'by name only in the sandbox, revoked when it ends',
    async () => {
      const before = standIn.tokens.length;
      const id = await run(space, buildYaml('["${inputs.repo}"]'), { repo: 'api' });
      expect(await finished(space, id)).toMatchObject({ status: 'succeeded' });
      const minted = standIn.tokens.slice(before);
      expect(minted).toHaveLength(1);
      expect(minted[0]).toMatchObject({
        installationId: acme,
        repositories: ['api'],
        permissions: { contents: 'write' },
      });

      const ledger = (await sandboxLedger(baton.sandboxUrl)) as Array<{
        idempotencyKey: string;
        credentialNames?: string[];
      }>;
      const entry = ledger.find((r) => r.idempotencyKey === `${id}/build/1`);
      expect(entry?.credentialNames).toEqual(['GITHUB_TOKEN', 'GITHUB_TOKEN_EXPIRES_AT']);
      expect(JSON.stringify(ledger)).not.toContain(minted[0]?.token);

      await eventually(() => minted[0]?.revoked, 10_000, 'the run token to be revoked at GitHub');
      await eventually(
        async () => (await rowsOf('run_credentials')).length === 0,
        10_000,
        'the run credential to be forgotten',
      );
      expect((await rowsOf('credentials')).filter((c) => c.purpose === 'github.run-token')).toEqual([]);
    },
  );

  it(
    'a repository outside the installation fails the step ' + 'at once, saying so, and never reaches the sandbox',
    async () => {
      for (const [repositories, says] of [
        ['[mobile]', 'does not have every repository'],
        ['[globex/api]', 'outside the GitHub account acme'],
      ] as const) {
        const id = await run(space, buildYaml(repositories), { repo: 'api' });
        const done = await finished(space, id);
        expect(done.status).toBe('failed');
        // Not retryable: one try although the step allows five.
        expect(done.steps.build).toMatchObject({ status: 'failed', attempt: 1, error: expect.stringContaining(says) });
        expect(done.reason).toContain(says);
        expect((await sandboxLedger(baton.sandboxUrl)).filter((r) => r.idempotencyKey.startsWith(id))).toEqual([]);
      }
    },
  );

  it('a suspended or removed installation fails the step promptly, telling an admin to connect it again', async () => {
    const tps = buildYaml('[tps]');
    standIn.suspend(initech);
    const suspended = await finished(fragile, await run(fragile, tps, { repo: 'tps' }));
    expect(suspended).toMatchObject({
      status: 'failed',
      steps: { build: { attempt: 1, error: expect.stringMatching(/suspended.*connect it again/) } },
    });
    standIn.remove(initech);
    const removed = await finished(fragile, await run(fragile, tps, { repo: 'tps' }));
    expect(removed).toMatchObject({
      status: 'failed',
      steps: { build: { attempt: 1, error: expect.stringMatching(/removed.*connect it again/) } },
    });
    standIn.addInstallation({ id: initech, account: { login: 'initech' }, repositories: ['tps'], permissions });
  });
});

const tellYaml = (repository: string) => `
name: tell
inputs: { x: { type: string } }
steps:
  - { id: tell, kind: notify, channel: github, message: "Done: \${inputs.x}", github: { repository: ${repository}, \
issue: 7 } }
`;

describe('comments from notify steps', () => {
  it('comments on the issue with a token for that repository alone, revoked right after', async () => {
    const [comments, tokens] = [standIn.comments.length, standIn.tokens.length];
    const id = await run(space, tellYaml('acme/api'), { x: 'the build' });
    const done = await finished(space, id);
    expect(done.status).toBe('succeeded');
    const made = standIn.comments.slice(comments);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      owner: 'acme',
      repo: 'api',
      number: 7,
      scope: { installationId: acme, repositories: ['api'], permissions: { issues: 'write' } },
    });
    expect(made[0]?.body).toContain('Done: the build');
    expect(made[0]?.body).toContain(`<!-- baton:${id}/tell/1 -->`);
    expect(done.steps.tell.output).toEqual({
      url: `https://github.com/acme/api/issues/7#issuecomment-${made[0]?.id}`,
      commentId: made[0]?.id,
    });
    const used = standIn.tokens.slice(tokens);
    expect(used).toHaveLength(1);
    expect(used[0]?.revoked).toBe(true);
  });

  it('GitHub failing once is retried, and the history shows it', async () => {
    const comments = standIn.comments.length;
    standIn.failNext(503);
    const id = await run(space, tellYaml('acme/api'), { x: 'after a hiccup' });
    const done = await finished(space, id);
    expect(done.status).toBe('succeeded');
    expect(done.steps.tell).toMatchObject({ status: 'succeeded', attempt: 2 });
    expect(standIn.comments.slice(comments).map((c) => c.body)).toEqual([
      expect.stringContaining('Done: after a hiccup'),
    ]);
    const history = (await api('GET', `/v1/executions/${id}/events?limit=200`, space.admin)).body.events as Array<{
      event: { type: string; stepId?: string; retryable?: boolean; error?: string };
    }>;
    const types = history.map((h) => h.event.type);
    expect(history.find((h) => h.event.type === 'step.failed')?.event).toMatchObject({
      stepId: 'tell',
      retryable: true,
      error: expect.stringContaining('503'),
    });
    expect(types.indexOf('step.failed')).toBeLessThan(types.indexOf('step.completed'));
  });

  it('a repository of another account, or a suspended installation, fails the step with the reason', async () => {
    const comments = standIn.comments.length;
    const other = await finished(space, await run(space, tellYaml('globex/api'), { x: 'y' }));
    expect(other).toMatchObject({
      status: 'failed',
      steps: { tell: { attempt: 1, error: expect.stringContaining('outside the GitHub account acme') } },
    });
    standIn.suspend(initech);
    const suspended = await finished(fragile, await run(fragile, tellYaml('initech/tps'), { x: 'y' }));
    expect(suspended).toMatchObject({
      status: 'failed',
      steps: { tell: { attempt: 1, error: expect.stringContaining('suspended') } },
    });
    expect(standIn.comments.length).toBe(comments);
  });
});

/** A push delivery from GitHub for an installation, signed with `secret`. */
async function deliver(
  installationId: number | undefined,
  secret: string,
): Promise<{ status: number; body: { id?: string; error?: { code: string; message: string } } }> {
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    repository: { full_name: 'acme/api' },
    ...(installationId === undefined ? {} : { installation: { id: installationId } }),
  });
  const res = await fetch(`${baton.url}/v1/hooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': crypto.randomUUID(),
      'x-hub-signature-256': await signHook(secret, body),
    },
    body,
  });
  return { status: res.status, body: (await res.json()) as never };
}

/** The events a trigger saw, with what it did. */
const seenBy = async (s: Space, triggerId: string) =>
  (await api('GET', `/v1/triggers/${triggerId}/events?limit=200`, s.admin)).body.events as Array<{
    id: string;
    firing: { outcome: string } | null;
  }>;

describe('webhook deliveries, scoped by installation', () => {
  const triggers: Record<string, string> = {};
  beforeAll(async () => {
    for (const [name, s] of [
      ['acme', space],
      ['globex', outsider],
    ] as const) {
      const made = await api('POST', `/v1/workspaces/${s.id}/triggers`, s.admin, {
        name: `${name} pushes`,
        source: 'github',
        event: 'push',
        action: { kind: 'wake', event: 'pushed' },
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      triggers[name] = made.body.id;
    }
  });

  it('reach only the workspace that connected the installation, checked with its webhook secret', async () => {
    const toAcme = await deliver(acme, acmeHookSecret);
    expect(toAcme.status).toBe(202);
    const toGlobex = await deliver(globex, globexHookSecret);
    expect(toGlobex.status).toBe(202);
    const fired = (s: Space, trigger: string, eventId: string) =>
      eventually(
        async () => (await seenBy(s, trigger)).find((e) => e.id === eventId)?.firing ?? undefined,
        10_000,
        `trigger ${trigger} to handle ${eventId}`,
      );
    expect(await fired(space, triggers.acme ?? '', toAcme.body.id ?? '')).toMatchObject({ outcome: 'woke' });
    expect(await fired(outsider, triggers.globex ?? '', toGlobex.body.id ?? '')).toMatchObject({ outcome: 'woke' });
    // Both events were handled (each trigger fired for its own): neither saw the other's.
    expect((await seenBy(space, triggers.acme ?? '')).map((e) => e.id)).not.toContain(toGlobex.body.id);
    expect((await seenBy(outsider, triggers.globex ?? '')).map((e) => e.id)).not.toContain(toAcme.body.id);
    const firings = await baton.db
      .selectFrom('trigger_firings')
      .select(['trigger_id', 'event_id'])
      .where('event_id', 'in', [toAcme.body.id ?? '', toGlobex.body.id ?? ''])
      .execute();
    expect(firings.map((f) => [f.trigger_id, f.event_id]).sort()).toEqual(
      [
        [triggers.acme, toAcme.body.id],
        [triggers.globex, toGlobex.body.id],
      ].sort(),
    );
  });

  it(
    "refuse an installation nobody connected, another workspace's " +
      'secret, and no installation alike (401), storing nothing',
    async () => {
      const events = async () => (await baton.db.selectFrom('inbound_events').select('id').execute()).length;
      const before = await events();
      for (const [installation, secret] of [
        [999_999, acmeHookSecret],
        [acme, globexHookSecret],
        [acme, 'not-the-secret-at-all'],
        [undefined, acmeHookSecret],
      ] as const) {
        const refused = await deliver(installation, secret);
        expect(refused.status).toBe(401);
        // The same answer every time: a caller cannot learn which installations are connected.
        expect(refused.body.error).toEqual({
          code: 'unauthenticated',
          message: 'The webhook signature is missing or wrong',
        });
      }
      expect(await events()).toBe(before);
    },
  );

  it('stop when an admin disconnects: audited, the stored secrets gone, deliveries refused', async () => {
    const row = await baton.db
      .selectFrom('integrations')
      .select('secret_id')
      .where('id', '=', connected.body.id)
      .executeTakeFirstOrThrow();
    expect(
      (await api('DELETE', `/v1/workspaces/${space.id}/integrations/${connected.body.id}`, space.admin)).status,
    ).toBe(204);
    expect((await api('GET', `/v1/workspaces/${space.id}/integrations`, space.admin)).body.integrations).toEqual([]);
    expect((await rowsOf('credentials')).map((c) => c.id)).not.toContain(row.secret_id);
    const audit = await api('GET', `/v1/workspaces/${space.id}/audit`, space.admin);
    expect(
      (audit.body.entries as Array<{ action: string }>).find((e) => e.action === 'integration.disconnected'),
    ).toMatchObject({ targetId: connected.body.id, details: { provider: 'github', account: 'acme' } });
    expectNoSecrets(audit.body);
    expect((await deliver(acme, acmeHookSecret)).status).toBe(401);
    // The other workspace's connection is untouched.
    expect((await deliver(globex, globexHookSecret)).status).toBe(202);
    // Steps that need GitHub now say there is no connection.
    const after = await finished(space, await run(space, buildYaml('[api]'), { repo: 'api' }));
    expect(after).toMatchObject({
      status: 'failed',
      steps: { build: { error: expect.stringContaining('an admin must connect one') } },
    });
  });
});
