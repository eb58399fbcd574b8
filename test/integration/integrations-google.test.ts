import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { readCredential } from '../../src/app/credentials/credentials.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startGoogleStandIn, type GoogleStandIn } from '../support/google-stand-in.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

const DRIVE_FILE = 'https://www.googleapis.com/auth/drive.file';
const GOOGLE_DOC = 'application/vnd.google-apps.document';
const callbackPath = '/v1/integrations/google-drive/callback';

/** One Baton on its own database, wired to one Google stand-in, with the people of one workspace. */
interface World {
  readonly database: TestDatabase;
  readonly google: GoogleStandIn;
  readonly baton: TestApp;
  /** Bearer tokens: two workspace admins, a plain member, and someone outside the workspace. */
  readonly admin: string;
  readonly admin2: string;
  readonly member: string;
  readonly outsider: string;
  readonly workspaceId: string;
  readonly dashboardId: string;
}

interface Integration {
  id: string;
  provider: string;
  status: string;
  name: string;
  details: Record<string, unknown>;
}

async function startWorld(standIn: Parameters<typeof startGoogleStandIn>[0] = {}): Promise<World> {
  const database = await createTestDatabase();
  const google = await startGoogleStandIn(standIn);
  const baton = await startTestApp(database.url, {
    BATON_GOOGLE_CLIENT_ID: google.clientId,
    BATON_GOOGLE_CLIENT_SECRET: google.clientSecret,
    BATON_GOOGLE_BASE_URL: google.url,
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
  });
  google.register(`${baton.url}${callbackPath}`);
  const made = await bootstrapToken(baton.ctx, { email: 'admin@example.com', workspaceName: 'Docs' });
  const workspaceId = made.workspace?.id ?? '';
  const owner = sessionPrincipal(made.user.id);
  const join = async (email: string, role: 'admin' | 'member' | undefined) => {
    const person = await bootstrapToken(baton.ctx, { email });
    if (role !== undefined) await setMember(baton.ctx, owner, workspaceId, { email, role }, 'setup');
    return person.secret;
  };
  const dashboardId = (await createDashboard(baton.ctx, owner, workspaceId, { name: 'Reports' }, 'setup')).id;
  return {
    database,
    google,
    baton,
    admin: made.secret,
    admin2: await join('admin2@example.com', 'admin'),
    member: await join('member@example.com', 'member'),
    outsider: await join('outsider@example.com', undefined),
    workspaceId,
    dashboardId,
  };
}

async function stopWorld(w: World | undefined): Promise<void> {
  await w?.baton.close();
  await w?.google.close();
  await w?.database.drop();
}

const api = (w: World, method: string, path: string, token: string, body?: unknown) =>
  callApi(w.baton.url, method, path, token, body);
const listed = async (w: World): Promise<Integration[]> =>
  (await api(w, 'GET', `/v1/workspaces/${w.workspaceId}/integrations`, w.admin)).body.integrations;
const auditOf = async (w: World, action: string, targetId: string) =>
  (
    (await api(w, 'GET', `/v1/workspaces/${w.workspaceId}/audit?limit=200`, w.admin)).body.entries as Array<{
      action: string;
      targetId: string;
      details: Record<string, unknown>;
    }>
  ).find((e) => e.action === action && e.targetId === targetId);
const secretIdOf = async (w: World, integrationId: string) =>
  (
    await w.baton.db
      .selectFrom('integrations')
      .select('secret_id')
      .where('id', '=', integrationId)
      .executeTakeFirstOrThrow()
  ).secret_id ?? '';
const credentialRow = (w: World, id: string) =>
  w.baton.db.selectFrom('credentials').selectAll().where('id', '=', id).executeTakeFirst();

/** Starts connecting as `token`: the pending integration and the consent page's URL. */
async function start(w: World, token = w.admin): Promise<{ integration: Integration; authorizationUrl: URL }> {
  const res = await api(w, 'POST', `/v1/workspaces/${w.workspaceId}/integrations/google-drive`, token);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { integration: res.body.integration, authorizationUrl: new URL(res.body.authorizationUrl) };
}

/** Opens the consent page as the admin's browser would; the stand-in consents and redirects back. */
async function consent(authorizationUrl: URL): Promise<string> {
  const res = await fetch(authorizationUrl, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location') ?? '');
  return `${back.pathname}${back.search}`;
}

/** Connects Drive from start to callback as the first admin; returns the connected integration. */
async function connect(w: World): Promise<Integration> {
  const res = await api(w, 'GET', await consent((await start(w)).authorizationUrl), w.admin);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

let recipes = 0;
/** Runs a one-step recipe that writes a Drive document and waits until the execution has finished. */
async function runNotify(w: World, drive: { folder: string; title: string }, inputs: Record<string, string>) {
  recipes += 1;
  const yaml = JSON.stringify({
    name: `report ${recipes}`,
    inputs: { text: { type: 'string' }, name: { type: 'string' } },
    steps: [{ id: 'write', kind: 'notify', channel: 'google-drive', message: '# Summary\n${inputs.text}', drive }],
  });
  const recipe = await api(w, 'POST', `/v1/workspaces/${w.workspaceId}/recipes`, w.admin, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api(w, 'POST', `/v1/recipes/${recipe.body.id}/executions`, w.admin, {
    dashboardId: w.dashboardId,
    inputs,
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  const done = await eventually(
    async () => {
      const current = (await api(w, 'GET', `/v1/executions/${started.body.id}`, w.admin)).body;
      return current.status === 'succeeded' || current.status === 'failed' ? current : undefined;
    },
    15_000,
    'the execution to finish',
  );
  return {
    status: done.status as string,
    step: done.steps.write as {
      status: string;
      attempt: number;
      output: Record<string, unknown> | null;
      error: string | null;
    },
  };
}

/** The stand-in's requests from `from` on: refresh grants and Drive uploads, in order. */
const sinceRequest = (w: World, from: number) =>
  w.google.requests
    .slice(from)
    .map((r) =>
      r.path === '/token'
        ? `token:${r.form.grant_type}`
        : r.path === '/upload/drive/v3/files'
          ? 'upload'
          : `${r.method} ${r.path}`,
    );

let main: World;
beforeAll(async () => {
  main = await startWorld();
  main.google.addFolder('folder-reports', 'Reports');
});
afterAll(async () => stopWorld(main));

describe('connecting Google Drive', () => {
  it('goes through Google with PKCE and keeps the tokens sealed', async () => {
    const { integration, authorizationUrl } = await start(main);
    expect(integration).toMatchObject({ provider: 'google-drive', status: 'pending', name: '' });
    const q = authorizationUrl.searchParams;
    expect(`${authorizationUrl.origin}${authorizationUrl.pathname}`).toBe(`${main.google.url}/o/oauth2/v2/auth`);
    expect(q.get('client_id')).toBe(main.google.clientId);
    expect(q.get('redirect_uri')).toBe(`${main.baton.url}${callbackPath}`);
    expect(q.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('state')?.length).toBeGreaterThanOrEqual(32);
    expect(q.get('access_type')).toBe('offline');
    expect(q.get('scope')?.split(' ')).toContain(DRIVE_FILE);

    const callback = await consent(authorizationUrl);
    expect(callback.startsWith(`${callbackPath}?`)).toBe(true);
    expect(new URLSearchParams(callback.split('?')[1]).get('state')).toBe(q.get('state'));
    const done = await api(main, 'GET', callback, main.admin);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ id: integration.id, status: 'connected', name: 'ada@example.com' });
    // The stand-in only answered because the verifier matched the challenge it saw.
    expect(
      main.google.requests.find((r) => r.path === '/token' && r.form.grant_type === 'authorization_code')?.form
        .code_verifier,
    ).toBe('[redacted]');

    const sealed = JSON.parse(await readCredential(main.baton.ctx, await secretIdOf(main, integration.id))) as {
      refreshToken: string;
      accessToken: string;
    };
    expect(sealed.refreshToken).toMatch(/^1\/\/0/);
    expect(sealed.accessToken).toMatch(/^ya29\./);
    const list = await api(main, 'GET', `/v1/workspaces/${main.workspaceId}/integrations`, main.admin);
    expect(list.body.integrations).toEqual([
      expect.objectContaining({ id: integration.id, status: 'connected', name: 'ada@example.com' }),
    ]);
    const row = await credentialRow(main, await secretIdOf(main, integration.id));
    const stored = `${JSON.stringify(row)} ${Buffer.from(row?.ciphertext ?? '', 'base64url').toString('latin1')}`;
    const audit = await auditOf(main, 'integration.connected', integration.id);
    expect(audit?.details).toMatchObject({ provider: 'google-drive', account: 'ada@example.com' });
    for (const secret of [sealed.refreshToken, sealed.accessToken]) {
      for (const seen of [JSON.stringify(list.body), JSON.stringify(done.body), stored, JSON.stringify(audit)])
        expect(seen).not.toContain(secret);
    }

    const again = await api(main, 'GET', callback, main.admin);
    expect(again.status).toBe(400);
    expect(JSON.stringify(again.body.error)).toContain('was used already');
  });

  it('is completed only by the admin who started it', async () => {
    const { integration, authorizationUrl } = await start(main);
    const callback = await consent(authorizationUrl);
    const stolen = await api(main, 'GET', callback, main.admin2);
    expect(stolen.status).toBe(403);
    expect(stolen.body.error.message).toContain('Only the admin who started');
    const done = await api(main, 'GET', callback, main.admin);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({ id: integration.id, status: 'connected' });
    // Keep one connection in the workspace for the steps below.
    expect(
      (await api(main, 'DELETE', `/v1/workspaces/${main.workspaceId}/integrations/${integration.id}`, main.admin))
        .status,
    ).toBe(204);
  });

  it('refused at Google leaves no pending connection behind', async () => {
    main.google.denyNext();
    const { integration, authorizationUrl } = await start(main);
    const verifierId = await secretIdOf(main, integration.id);
    expect(await credentialRow(main, verifierId)).toBeDefined();
    const callback = await consent(authorizationUrl);
    expect(new URLSearchParams(callback.split('?')[1]).get('error')).toBe('access_denied');
    const refused = await api(main, 'GET', callback, main.admin);
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe('Google Drive was not connected: access_denied');
    expect((await listed(main)).map((i) => i.id)).not.toContain(integration.id);
    expect(await credentialRow(main, verifierId)).toBeUndefined();
    expect((await api(main, 'GET', callback, main.admin)).status).toBe(400);
  });

  it("sends a browser back to the console's integrations page with the outcome, not JSON", async () => {
    const asBrowser = (callback: string) =>
      fetch(`${main.baton.url}${callback}`, {
        redirect: 'manual',
        headers: { accept: 'text/html,application/xhtml+xml', authorization: `Bearer ${main.admin}` },
      });
    const { integration, authorizationUrl } = await start(main);
    const connected = await asBrowser(await consent(authorizationUrl));
    expect(connected.status).toBe(303);
    expect(connected.headers.get('location')).toBe(
      `/settings/integrations?workspace=${main.workspaceId}&connected=google-drive`,
    );
    expect((await listed(main)).find((i) => i.id === integration.id)?.status).toBe('connected');
    expect(
      (await api(main, 'DELETE', `/v1/workspaces/${main.workspaceId}/integrations/${integration.id}`, main.admin))
        .status,
    ).toBe(204);
    main.google.denyNext();
    const refused = await asBrowser(await consent((await start(main)).authorizationUrl));
    expect(refused.status).toBe(303);
    expect(new URL(refused.headers.get('location') ?? '', main.baton.url).searchParams.get('error')).toBe(
      'Google Drive was not connected: access_denied',
    );
  });

  it('is for admins only, and needs Google configured', async () => {
    const path = `/v1/workspaces/${main.workspaceId}/integrations/google-drive`;
    expect((await api(main, 'POST', path, main.member)).status).toBe(403);
    expect((await api(main, 'POST', path, main.outsider)).status).toBe(404);
    expect((await api(main, 'GET', `/v1/workspaces/${main.workspaceId}/integrations`, main.member)).status).toBe(403);

    const database = await createTestDatabase();
    const bare = await startTestApp(database.url);
    try {
      const made = await bootstrapToken(bare.ctx, { email: 'admin@example.com', workspaceName: 'Bare' });
      const res = await callApi(
        bare.url,
        'POST',
        `/v1/workspaces/${made.workspace?.id ?? ''}/integrations/google-drive`,
        made.secret,
      );
      expect(res.status).toBe(503);
      expect(res.body.error.message).toContain('BATON_GOOGLE_CLIENT_ID');
    } finally {
      await bare.close();
      await database.drop();
    }
  });
});

describe('Drive documents from notify steps', () => {
  it('writes the rendered Markdown as a Google Doc into the folder', async () => {
    const before = main.google.files.length;
    const { status, step } = await runNotify(
      main,
      { folder: 'folder-reports', title: 'Report ${inputs.name}' },
      { text: 'All *green*.', name: 'Monday' },
    );
    expect(status, step.error ?? '').toBe('succeeded');
    const made = main.google.files.slice(before);
    expect(made).toHaveLength(1);
    expect(made[0]).toMatchObject({
      name: 'Report Monday',
      mimeType: GOOGLE_DOC,
      parents: ['folder-reports'],
      content: '# Summary\nAll *green*.',
    });
    expect(step.output).toMatchObject({ url: made[0]?.webViewLink, documentId: made[0]?.id, name: 'Report Monday' });
  });

  it('fails at once, naming the folder, when the folder is unknown', async () => {
    const before = main.google.files.length;
    const { status, step } = await runNotify(
      main,
      { folder: 'no-such-folder', title: 'Lost' },
      { text: 'x', name: 'y' },
    );
    expect(status).toBe('failed');
    expect(step).toMatchObject({ status: 'failed', attempt: 1 });
    expect(step.error).toContain('The Google Drive folder no-such-folder does not exist or was not shared with Baton');
    expect(main.google.files.length).toBe(before);
  });

  it('refreshes once after Drive refuses an access token Baton still thought valid', async () => {
    const from = main.google.requests.length;
    const before = main.google.files.length;
    main.google.expireAccessTokens();
    const { status, step } = await runNotify(
      main,
      { folder: 'folder-reports', title: 'After expiry' },
      { text: 'still here', name: 'z' },
    );
    expect(status, step.error ?? '').toBe('succeeded');
    expect(sinceRequest(main, from)).toEqual(['upload', 'token:refresh_token', 'upload']);
    expect(main.google.files.slice(before).map((f) => f.name)).toEqual(['After expiry']);
  });

  it('fails with "connect again" once the user revoked the grant, and the list says revoked', async () => {
    const [connection] = await listed(main);
    const before = main.google.files.length;
    main.google.revokeAll();
    const { status, step } = await runNotify(
      main,
      { folder: 'folder-reports', title: 'Never' },
      { text: 'x', name: 'y' },
    );
    expect(status).toBe('failed');
    expect(step).toMatchObject({ status: 'failed', attempt: 1 });
    expect(step.error).toMatch(/revoked.*connect it again/);
    expect(main.google.files.length).toBe(before);
    expect(await listed(main)).toEqual([expect.objectContaining({ id: connection?.id, status: 'revoked' })]);

    // Until an admin connects again, every step says the same without asking Google.
    const from = main.google.requests.length;
    expect(
      (await runNotify(main, { folder: 'folder-reports', title: 'Never' }, { text: 'x', name: 'y' })).step.error,
    ).toMatch(/revoked.*connect it again/);
    expect(sinceRequest(main, from)).toEqual([]);
  });
});

describe('disconnecting Google Drive', () => {
  it('revokes the grant at Google, forgets the tokens and is audited; Google down changes nothing', async () => {
    const connection = await connect(main);
    const grant = main.google.grants.at(-1);
    expect(grant?.revoked).toBe(false);
    const secretId = await secretIdOf(main, connection.id);
    const path = `/v1/workspaces/${main.workspaceId}/integrations/${connection.id}`;

    main.google.failNext(503);
    const failed = await api(main, 'DELETE', path, main.admin);
    expect(failed.status).toBe(502);
    expect(await listed(main)).toContainEqual(expect.objectContaining({ id: connection.id, status: 'connected' }));
    expect(main.google.grants.find((g) => g.id === grant?.id)?.revoked).toBe(false);

    expect((await api(main, 'DELETE', path, main.admin)).status).toBe(204);
    expect(main.google.grants.find((g) => g.id === grant?.id)?.revoked).toBe(true);
    expect((await listed(main)).map((i) => i.id)).not.toContain(connection.id);
    expect(await credentialRow(main, secretId)).toBeUndefined();
    expect((await auditOf(main, 'integration.disconnected', connection.id))?.details).toMatchObject({
      provider: 'google-drive',
      account: 'ada@example.com',
    });

    // The revoked connection goes the same way (Google says its token is invalid already).
    for (const left of await listed(main))
      expect(
        (await api(main, 'DELETE', `/v1/workspaces/${main.workspaceId}/integrations/${left.id}`, main.admin)).status,
      ).toBe(204);
    expect(await listed(main)).toEqual([]);
  });
});

describe('short-lived access tokens', () => {
  let short: World;
  beforeAll(async () => {
    short = await startWorld({ accessTokenSeconds: 120 });
    short.google.addFolder('folder-short', 'Short');
    await connect(short);
  });
  afterAll(async () => stopWorld(short));

  it('are refreshed before each delivery when less than five minutes are left', async () => {
    for (const name of ['first', 'second']) {
      const from = short.google.requests.length;
      const { status, step } = await runNotify(short, { folder: 'folder-short', title: name }, { text: name, name });
      expect(status, step.error ?? '').toBe('succeeded');
      expect(sinceRequest(short, from)).toEqual(['token:refresh_token', 'upload']);
    }
    expect(short.google.files.map((f) => f.name)).toEqual(['first', 'second']);
  });
});
