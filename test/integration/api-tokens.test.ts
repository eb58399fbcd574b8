import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../src/app/identity/secrets.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { captureLogs } from '../support/log-capture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let database: TestDatabase;
let baton: TestApp;
let admin: { secret: string; userId: string; workspaceId: string };
const logs = captureLogs();

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, {}, { logs: logs.stream });
  const made = await bootstrapToken(baton.ctx, { email: 'admin@example.com', workspaceName: 'Acme' });
  admin = { secret: made.secret, userId: made.user.id, workspaceId: made.workspace?.id ?? '' };
});
afterAll(async () => {
  await baton.close();
  await database.drop();
});

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baton.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    body: (text === '' ? undefined : JSON.parse(text)) as Record<string, any>,
  };
}

describe('API tokens', () => {
  it('are shown once, recognisable by their prefix, and work as Bearer tokens on /v1', async () => {
    const created = await call('POST', '/v1/tokens', {
      token: admin.secret,
      body: { name: 'laptop', scopes: ['read', 'write'] },
    });
    expect(created.status).toBe(201);
    const secret = created.body.token as string;
    expect(secret).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(created.body.prefix)).toBe(true);
    expect(created.body.scopes).toEqual(['read', 'write']);
    expect(Date.parse(created.body.expiresAt) - Date.now()).toBeGreaterThan(89 * 86_400_000);

    const me = await call('GET', '/v1/me', { token: secret });
    expect(me.body).toMatchObject({
      user: { id: admin.userId },
      authentication: { via: 'token', scopes: ['read', 'write'], tokenId: created.body.id },
    });

    const list = await call('GET', '/v1/tokens', { token: admin.secret });
    const listed = (list.body.tokens as Array<Record<string, unknown>>).find((t) => t.id === created.body.id);
    expect(listed).toMatchObject({ name: 'laptop', prefix: created.body.prefix });
    expect(listed?.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(secret);
  });

  it('are stored only as a hash', async () => {
    const created = await call('POST', '/v1/tokens', {
      token: admin.secret,
      body: { name: 'hash check', scopes: ['read'] },
    });
    const row = await baton.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(created.body.token);
    expect(Buffer.from(row.secret_hash)).toEqual(Buffer.from(await sha256(created.body.token)));
  });

  it('refuse expired, revoked, malformed, unknown and wrong-prefix tokens with 401', async () => {
    const expired = `baton_${randomSecret(32)}`;
    await baton.ctx.tokens.create({
      userId: admin.userId,
      name: 'old',
      prefix: expired.slice(0, 12),
      secretHash: await sha256(expired),
      scopes: ['read'],
      dashboardId: null,
      expiresAt: new Date(Date.now() - 1000),
    });
    const revoked = (
      await call('POST', '/v1/tokens', { token: admin.secret, body: { name: 'to revoke', scopes: ['read'] } })
    ).body;
    expect((await call('DELETE', `/v1/tokens/${revoked.id}`, { token: admin.secret })).status).toBe(204);

    const cases: Array<[string, string, string]> = [
      ['expired', `Bearer ${expired}`, 'expired'],
      ['revoked', `Bearer ${revoked.token}`, 'revoked'],
      ['malformed', 'Bearer baton_short', 'malformed'],
      ['unknown', `Bearer baton_${randomSecret(32)}`, 'not valid'],
      ['wrong prefix', `Bearer ghp_${randomSecret(32)}`, 'not a Baton API token'],
      ['wrong scheme', `Basic ${btoa('a:b')}`, 'Bearer'],
    ];
    for (const [label, header, message] of cases) {
      const res = await call('GET', '/v1/me', { headers: { authorization: header } });
      expect({ label, status: res.status, code: res.body.error?.code }).toEqual({
        label,
        status: 401,
        code: 'unauthenticated',
      });
      expect(res.body.error.message).toContain(message);
    }
  });

  it('cannot grant scopes the caller lacks, and a read token cannot write', async () => {
    const reader = (
      await call('POST', '/v1/tokens', { token: admin.secret, body: { name: 'reader', scopes: ['read', 'admin'] } })
    ).body.token as string;
    const escalate = await call('POST', '/v1/tokens', { token: reader, body: { name: 'more', scopes: ['write'] } });
    expect(escalate.status).toBe(403);
    const write = await call('POST', '/v1/workspaces', { token: reader, body: { name: 'nope' } });
    expect(write.status).toBe(403);
    expect(write.body.error.message).toContain('"write"');
  });

  it('restricted to one dashboard cannot reach another', async () => {
    const d1 = (
      await call('POST', `/v1/workspaces/${admin.workspaceId}/dashboards`, {
        token: admin.secret,
        body: { name: 'one' },
      })
    ).body;
    const d2 = (
      await call('POST', `/v1/workspaces/${admin.workspaceId}/dashboards`, {
        token: admin.secret,
        body: { name: 'two' },
      })
    ).body;
    const sandbox = (
      await call('POST', '/v1/tokens', {
        token: admin.secret,
        body: { name: 'sandbox', scopes: ['read', 'write'], dashboardId: d1.id },
      })
    ).body.token as string;

    expect((await call('GET', `/v1/dashboards/${d1.id}`, { token: sandbox })).status).toBe(200);
    expect((await call('PATCH', `/v1/dashboards/${d1.id}`, { token: sandbox, body: { name: 'renamed' } })).status).toBe(
      200,
    );
    expect((await call('GET', `/v1/dashboards/${d2.id}`, { token: sandbox })).status).toBe(404);
    expect((await call('PATCH', `/v1/dashboards/${d2.id}`, { token: sandbox, body: { name: 'x' } })).status).toBe(404);
    const listed = await call('GET', `/v1/workspaces/${admin.workspaceId}/dashboards`, { token: sandbox });
    expect((listed.body.dashboards as Array<{ id: string }>).map((d) => d.id)).toEqual([d1.id]);
    expect(
      (await call('POST', `/v1/workspaces/${admin.workspaceId}/dashboards`, { token: sandbox, body: { name: 'x' } }))
        .status,
    ).toBe(403);
    expect((await call('POST', '/v1/workspaces', { token: sandbox, body: { name: 'x' } })).status).toBe(403);
  });

  it('never appear in the logs', async () => {
    const created = await call('POST', '/v1/tokens', {
      token: admin.secret,
      body: { name: 'secret-check', scopes: ['read'] },
    });
    await call('GET', '/v1/me', { token: created.body.token });
    expect(logs.text()).toContain('/v1/tokens');
    expect(logs.text()).not.toContain(created.body.token);
    expect(logs.text()).not.toContain(admin.secret);
  });
});

describe('browser sessions', () => {
  async function sessionCookie(userId: string): Promise<string> {
    const secret = randomSecret();
    const now = Date.now();
    await baton.ctx.sessions.create({
      secretHash: await sha256(secret),
      userId,
      idleExpiresAt: new Date(now + 3_600_000),
      absoluteExpiresAt: new Date(now + 86_400_000),
    });
    return `baton_session=${secret}`;
  }

  it('authenticate reads; a cookie write without CSRF proof gets 403, with our Origin it works', async () => {
    const cookie = await sessionCookie(admin.userId);
    expect((await call('GET', '/v1/me', { headers: { cookie } })).body.authentication.via).toBe('session');
    const forged = await call('POST', '/v1/workspaces', { headers: { cookie }, body: { name: 'csrf' } });
    expect(forged.status).toBe(403);
    expect(forged.body.error.code).toBe('csrf_failed');
    const crossSite = await call('POST', '/v1/workspaces', {
      headers: { cookie, origin: 'https://evil.test' },
      body: { name: 'csrf' },
    });
    expect(crossSite.status).toBe(403);
    const sameSite = await call('POST', '/v1/workspaces', {
      headers: { cookie, origin: baton.url },
      body: { name: 'ok' },
    });
    expect(sameSite.status).toBe(201);
  });

  it('end after their idle or absolute expiry', async () => {
    const secret = randomSecret();
    await baton.ctx.sessions.create({
      secretHash: await sha256(secret),
      userId: admin.userId,
      idleExpiresAt: new Date(Date.now() - 1),
      absoluteExpiresAt: new Date(Date.now() + 86_400_000),
    });
    const res = await call('GET', '/v1/me', { headers: { cookie: `baton_session=${secret}` } });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain('session has ended');
  });
});

describe('audit log', () => {
  it('records who did what, with the request id, for admins, paginated', async () => {
    const added = await call('POST', `/v1/workspaces/${admin.workspaceId}/members`, {
      token: admin.secret,
      body: { email: 'bob@example.com', role: 'member' },
      headers: { 'x-request-id': 'req-add-bob' },
    });
    expect(added.status).toBe(200);
    await call('POST', `/v1/workspaces/${admin.workspaceId}/members`, {
      token: admin.secret,
      body: { email: 'bob@example.com', role: 'admin' },
    });
    const page1 = await call('GET', `/v1/workspaces/${admin.workspaceId}/audit?limit=1`, { token: admin.secret });
    expect(page1.body.entries).toHaveLength(1);
    expect(page1.body.entries[0]).toMatchObject({
      action: 'member.role_changed',
      actorUserId: admin.userId,
      targetId: added.body.userId,
      details: { role: 'admin', previousRole: 'member' },
    });
    const page2 = await call(
      'GET',
      `/v1/workspaces/${admin.workspaceId}/audit?limit=50&before=${page1.body.nextBefore}`,
      { token: admin.secret },
    );
    const entry = (page2.body.entries as Array<Record<string, unknown>>).find((e) => e.action === 'member.added');
    expect(entry).toMatchObject({
      requestId: 'req-add-bob',
      actorTokenId: expect.any(String),
      details: { email: 'bob@example.com', role: 'member' },
    });
    expect((page2.body.entries as Array<{ action: string }>).map((e) => e.action)).toEqual(
      expect.arrayContaining(['dashboard.created', 'token.created', 'workspace.created']),
    );
  });
});

describe('rate limits', () => {
  it('answer 429 with Retry-After to a token past its per-minute budget, and on the auth endpoints', async () => {
    const limited = await startTestApp(database.url, {
      BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '3',
      BATON_RATE_LIMIT_AUTH_PER_MINUTE: '2',
    });
    try {
      // A token of its own: counts are shared with the other instance, which the admin's token used already.
      const { secret } = await bootstrapToken(limited.ctx, { email: 'limited@example.com' });
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 4; i++) {
        last = await fetch(`${limited.url}/v1/me`, { headers: { authorization: `Bearer ${secret}` } });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await last?.json()).toMatchObject({ error: { code: 'rate_limited' } });
      // Cookie-free anonymous traffic to other routes is not limited.
      for (let i = 0; i < 5; i++) expect((await fetch(`${limited.url}/healthz`)).status).toBe(200);
      const auth: number[] = [];
      for (let i = 0; i < 3; i++) auth.push((await fetch(`${limited.url}/auth/login`, { redirect: 'manual' })).status);
      expect(auth.at(-1)).toBe(429);
    } finally {
      await limited.close();
    }
  });
});
