import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetentionStore } from '../../src/adapters/postgres/retention-store.ts';
import { randomSecret, sha256 } from '../../src/app/identity/secrets.ts';
import { bootstrapToken, createApiToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Device sign-in (RFC 8628) through the HTTP API: a device asks for codes and polls, a signed-in
// person approves or denies in a browser session, and the device gets a normal API token, once.
// The app's clock is the test's, so polling intervals and expiry are crossed without waiting.
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
const grantType = 'urn:ietf:params:oauth:grant-type:device_code';
let database: TestDatabase;
let baton: TestApp;
let ada: { userId: string; token: string; cookie: string };
let bob: { userId: string; cookie: string };

beforeAll(async () => {
  database = await createTestDatabase();
  // Budgets out of the way: the limit on guessing codes has its own server below.
  baton = await startTestApp(
    database.url,
    { BATON_RATE_LIMIT_AUTH_PER_MINUTE: '100000', BATON_RATE_LIMIT_DEVICE_CODE_PER_MINUTE: '100000' },
    { clock },
  );
  const made = await bootstrapToken(baton.ctx, { email: 'ada@example.com', workspaceName: 'Ada' });
  ada = { userId: made.user.id, token: made.secret, cookie: await signIn(baton, made.user.id) };
  const bobs = await bootstrapToken(baton.ctx, { email: 'bob@example.com' });
  bob = { userId: bobs.user.id, cookie: await signIn(baton, bobs.user.id) };
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

/** A browser session of this user (a row as a login writes it); returns its cookie. */
async function signIn(app: TestApp, userId: string): Promise<string> {
  const secret = randomSecret();
  const now = Date.now();
  await app.ctx.sessions.create({
    secretHash: await sha256(secret),
    userId,
    idleExpiresAt: new Date(now + 86_400_000),
    absoluteExpiresAt: new Date(now + 2 * 86_400_000),
  });
  return `baton_session=${secret}`;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = { status: number; body: any };

/** A device's request, form-encoded as RFC 8628 has it (or JSON). */
async function device(
  path: '/auth/device/code' | '/auth/device/token',
  fields: Record<string, string>,
  as: 'form' | 'json' = 'form',
  app: TestApp = baton,
): Promise<Answer> {
  const res = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': as === 'form' ? 'application/x-www-form-urlencoded' : 'application/json' },
    body: as === 'form' ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  });
  return { status: res.status, body: await res.json() };
}

const startCode = (fields: Record<string, string> = {}) =>
  device('/auth/device/code', { client_id: 'baton-cli', client_name: 'ada-laptop', ...fields });
const poll = (deviceCode: string) =>
  device('/auth/device/token', { grant_type: grantType, device_code: deviceCode, client_id: 'baton-cli' });

/** The approver's call: a browser session (cookie, with our Origin on writes) or a bearer token. */
async function approver(
  method: 'GET' | 'POST',
  path: string,
  credential: { cookie: string } | { token: string },
  body?: unknown,
  app: TestApp = baton,
): Promise<Answer> {
  const headers: Record<string, string> =
    'cookie' in credential
      ? { cookie: credential.cookie, ...(method === 'POST' ? { origin: app.url } : {}) }
      : { authorization: `Bearer ${credential.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

const later = (seconds: number) => {
  clock.offsetMs += seconds * 1000;
};

describe('device sign-in', () => {
  it(
    'goes from code to pending to approved to one token ' + 'that works, is listed, and stops working once revoked',
    async () => {
      const code = await startCode();
      expect(code.status).toBe(200);
      expect(code.body).toMatchObject({ verification_uri: `${baton.url}/device`, expires_in: 600, interval: 5 });
      expect(code.body.user_code).toMatch(/^[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      expect(code.body.verification_uri_complete).toBe(`${baton.url}/device?code=${code.body.user_code}`);
      const stored = await sql<{
        n: number;
      }>`select count(*)::int as n from device_authorizations
      where device_code_hash = ${await sha256(code.body.device_code)}`.execute(baton.db);
      expect(stored.rows[0]?.n).toBe(1);

      expect(await poll(code.body.device_code)).toMatchObject({
        status: 400,
        body: { error: 'authorization_pending' },
      });

      // The person sees who asks, typing the code however they like.
      const typed = code.body.user_code.toLowerCase().replace('-', ' ');
      const seen = await approver('GET', `/v1/device/${encodeURIComponent(typed)}`, { cookie: ada.cookie });
      expect(seen).toMatchObject({
        status: 200,
        body: {
          userCode: code.body.user_code,
          clientId: 'baton-cli',
          clientName: 'ada-laptop',
          scopes: ['read', 'write', 'control', 'admin'],
          status: 'pending',
        },
      });
      // A cookie write without our Origin is refused (CSRF), like every other.
      const forged = await fetch(`${baton.url}/v1/device/${code.body.user_code}/approve`, {
        method: 'POST',
        headers: { cookie: ada.cookie, origin: 'https://evil.example' },
      });
      expect(forged.status).toBe(403);
      const approved = await approver('POST', `/v1/device/${code.body.user_code}/approve`, { cookie: ada.cookie });
      expect(approved).toMatchObject({ status: 200, body: { status: 'approved' } });
      expect(await approver('POST', `/v1/device/${code.body.user_code}/approve`, { cookie: ada.cookie })).toMatchObject(
        {
          status: 409,
          body: { error: { code: 'conflict' } },
        },
      );

      later(5);
      const granted = await poll(code.body.device_code);
      expect(granted).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'read write control admin' } });
      expect(granted.body.expires_in).toBeGreaterThan(89 * 86_400);
      const token = granted.body.access_token as string;
      // Handed out once.
      later(5);
      expect(await poll(code.body.device_code)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });

      const me = await approver('GET', '/v1/me', { token });
      expect(me).toMatchObject({
        status: 200,
        body: {
          user: { id: ada.userId },
          authentication: { via: 'token', scopes: ['read', 'write', 'control', 'admin'] },
        },
      });
      const listed = await approver('GET', '/v1/tokens', { cookie: ada.cookie });
      const mine = listed.body.tokens.find((t: { id: string }) => t.id === me.body.authentication.tokenId);
      expect(mine).toMatchObject({ name: 'CLI on ada-laptop', revokedAt: null });
      const audit = await sql<{
        action: string;
      }>`select action from audit_log where actor_user_id = ${ada.userId}
      and action in ('device.approved', 'token.created') order by id`.execute(baton.db);
      expect(audit.rows.map((r) => r.action)).toEqual(['token.created', 'device.approved', 'token.created']);

      const revoked = await fetch(`${baton.url}/v1/tokens/${mine.id}`, {
        method: 'DELETE',
        headers: { cookie: ada.cookie, origin: baton.url },
      });
      expect(revoked.status).toBe(204);
      expect((await approver('GET', '/v1/me', { token })).status).toBe(401);
    },
  );

  it('tells a device that polls sooner than its interval to slow down, and makes the interval longer', async () => {
    const code = await startCode();
    expect((await poll(code.body.device_code)).body.error).toBe('authorization_pending');
    const tooSoon = await poll(code.body.device_code);
    expect(tooSoon).toMatchObject({ status: 400, body: { error: 'slow_down' } });
    expect(tooSoon.body.error_description).toContain('10 seconds');
    // Five seconds was enough before; the interval is ten now.
    later(5);
    expect((await poll(code.body.device_code)).body.error).toBe('slow_down');
    later(15);
    expect((await poll(code.body.device_code)).body.error).toBe('authorization_pending');
  });

  it('answers expired_token once the code expired, and the person cannot approve it any more', async () => {
    const code = await startCode();
    later(601);
    expect(await poll(code.body.device_code)).toMatchObject({ status: 400, body: { error: 'expired_token' } });
    expect(await approver('GET', `/v1/device/${code.body.user_code}`, { cookie: ada.cookie })).toMatchObject({
      status: 404,
      body: { error: { details: { reason: 'expired' } } },
    });
    expect((await approver('POST', `/v1/device/${code.body.user_code}/approve`, { cookie: ada.cookie })).status).toBe(
      404,
    );
  });

  it('answers access_denied after the person denied it, and a denied code cannot be approved', async () => {
    const code = await startCode();
    expect(await approver('POST', `/v1/device/${code.body.user_code}/deny`, { cookie: bob.cookie })).toMatchObject({
      status: 200,
      body: { status: 'denied' },
    });
    expect(await approver('POST', `/v1/device/${code.body.user_code}/approve`, { cookie: bob.cookie })).toMatchObject({
      status: 409,
    });
    expect(await poll(code.body.device_code)).toMatchObject({ status: 400, body: { error: 'access_denied' } });
    const audit = await sql<{
      action: string;
    }>`select action from audit_log where actor_user_id = ${bob.userId} and action like 'device.%'`.execute(baton.db);
    expect(audit.rows.map((r) => r.action)).toEqual(['device.denied']);
  });

  it('grants no scope beyond what the device asked for or what the approver holds', async () => {
    const code = await startCode({ scope: 'read write' });
    expect(code.status).toBe(200);
    // A token of Ada's that may read and manage tokens, but not write.
    const narrow = await createApiToken(
      baton.ctx,
      sessionPrincipal(ada.userId),
      { name: 'narrow', scopes: ['read', 'admin'] },
      'test',
    );
    const beyond = await approver('POST', `/v1/device/${code.body.user_code}/approve`, { token: narrow.secret });
    expect(beyond).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(beyond.body.error.message).toContain('write');
    const unasked = await approver(
      'POST',
      `/v1/device/${code.body.user_code}/approve`,
      { token: narrow.secret },
      { scopes: ['read', 'control'] },
    );
    expect(unasked).toMatchObject({ status: 400, body: { error: { code: 'invalid_input' } } });
    expect(unasked.body.error.message).toContain('scopes');
    expect(
      await approver(
        'POST',
        `/v1/device/${code.body.user_code}/approve`,
        { token: narrow.secret },
        { scopes: ['read'] },
      ),
    ).toMatchObject({ status: 200, body: { scopes: ['read'] } });
    later(5);
    const granted = await poll(code.body.device_code);
    expect(granted).toMatchObject({ status: 200, body: { scope: 'read' } });
    const write = await fetch(`${baton.url}/v1/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${granted.body.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Nope' }),
    });
    expect(write.status).toBe(403);
  });

  it('refuses malformed requests in OAuth terms, takes JSON too, and knows no other device code', async () => {
    expect(await device('/auth/device/code', { client_id: 'someone-else' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_client' },
    });
    expect(await device('/auth/device/code', { client_id: 'baton-cli', scope: 'read everything' })).toMatchObject({
      status: 400,
      body: { error: 'invalid_scope' },
    });
    expect(await device('/auth/device/code', {})).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const json = await device('/auth/device/code', { client_id: 'baton-cli' }, 'json');
    expect(json.status).toBe(200);
    expect(
      await device('/auth/device/token', { device_code: json.body.device_code, client_id: 'baton-cli' }, 'json'),
    ).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(
      await device('/auth/device/token', {
        grant_type: 'password',
        device_code: json.body.device_code,
        client_id: 'baton-cli',
      }),
    ).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    expect(await poll('not-a-device-code')).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect(await approver('GET', '/v1/device/CCCC-CCCC', { cookie: ada.cookie })).toMatchObject({
      status: 404,
      body: { error: { details: { reason: 'unknown' } } },
    });
    // A form elsewhere is still refused: only the device endpoints take one.
    const form = await fetch(`${baton.url}/v1/workspaces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ada.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Form',
    });
    expect(form.status).toBe(415);
  });
});

describe('retention', () => {
  it(
    'prunes device sign-ins whose code expired before the ' +
      'cutoff, decided or not, and keeps the token a device received',
    async () => {
      const old = await startCode({ client_name: 'old-box' });
      await startCode({ client_name: 'new-box' });
      await approver('POST', `/v1/device/${old.body.user_code}/approve`, { cookie: ada.cookie });
      later(5);
      const granted = await poll(old.body.device_code);
      expect(granted.status).toBe(200);
      const rows = async () =>
        (
          await sql<{
            client_name: string;
          }>`select client_name from device_authorizations where client_name in ('old-box', 'new-box')
          order by client_name`.execute(baton.db)
        ).rows.map((r) => r.client_name);
      expect(await rows()).toEqual(['new-box', 'old-box']);
      // The cutoff falls between the two codes' expiry.
      const oldExpiry = (
        await sql<{
          expires_at: Date;
        }>`select expires_at from device_authorizations where client_name = 'old-box'`.execute(baton.db)
      ).rows[0]?.expires_at as Date;
      await sql`update device_authorizations set expires_at = ${new Date(oldExpiry.getTime() - 86_400_000)}
      where client_name = 'old-box'`.execute(baton.db);
      expect(
        await createRetentionStore(baton.db).prune(
          'device-authorizations',
          new Date(oldExpiry.getTime() - 3_600_000),
          100,
        ),
      ).toBeGreaterThanOrEqual(1);
      expect(await rows()).toEqual(['new-box']);
      expect((await approver('GET', '/v1/me', { token: granted.body.access_token })).status).toBe(200);
    },
  );
});

describe('guessing user codes', () => {
  it('is limited per client address, whichever account guesses', async () => {
    // A database and server of its own: the budget is counted in Postgres, per address.
    const own = await createTestDatabase();
    const limited = await startTestApp(own.url, { BATON_RATE_LIMIT_DEVICE_CODE_PER_MINUTE: '4' });
    try {
      const carol = await bootstrapToken(limited.ctx, { email: 'carol@example.com' });
      const dave = await bootstrapToken(limited.ctx, { email: 'dave@example.com' });
      const statuses: number[] = [];
      for (const [i, who] of [carol, dave, carol, dave].entries())
        statuses.push(
          (await approver('GET', `/v1/device/CCCC-CCC${'CDFG'[i]}`, { token: who.secret }, undefined, limited)).status,
        );
      expect(statuses).toEqual([404, 404, 404, 404]);
      // The fifth guess is refused before the code is looked at, even a right one.
      const code = await device('/auth/device/code', { client_id: 'baton-cli' }, 'form', limited);
      const fifth = await approver(
        'GET',
        `/v1/device/${code.body.user_code}`,
        { token: dave.secret },
        undefined,
        limited,
      );
      expect(fifth).toMatchObject({ status: 429, body: { error: { code: 'rate_limited' } } });
    } finally {
      await limited.close();
      await own.drop();
    }
  });
});
