import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../src/app/identity/secrets.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Rate limits are keyed by what authenticated the caller: the token, the browser session, else the
// client address (BATON_TRUST_PROXY decides whether X-Forwarded-For names it).
let database: TestDatabase;
let baton: TestApp;
let proxied: TestApp;
const limit = 3;

beforeAll(async () => {
  database = await createTestDatabase();
  const limits = { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: String(limit), BATON_RATE_LIMIT_SESSION_PER_MINUTE: String(limit), BATON_RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(limit) };
  baton = await startTestApp(database.url, limits);
  proxied = await startTestApp(database.url, { ...limits, BATON_TRUST_PROXY: 'loopback' });
});
afterAll(async () => {
  await baton?.close();
  await proxied?.close();
  await database?.drop();
});

async function newToken(email: string): Promise<string> {
  return (await bootstrapToken(baton.ctx, { email })).secret;
}

async function newSessionCookie(email: string): Promise<string> {
  const { user } = await bootstrapToken(baton.ctx, { email });
  const secret = randomSecret();
  const now = Date.now();
  await baton.ctx.sessions.create({ secretHash: await sha256(secret), userId: user.id, idleExpiresAt: new Date(now + 3_600_000), absoluteExpiresAt: new Date(now + 86_400_000) });
  return `baton_session=${secret}`;
}

const me = (app: TestApp, headers: Record<string, string> = {}) => fetch(`${app.url}/v1/me`, { headers });

describe('rate limits', () => {
  it('count an API token once however the Authorization header spells it', async () => {
    const token = await newToken('spellings@example.com');
    const spellings = [`Bearer ${token}`, `bearer ${token}`, `BEARER ${token}`, `Bearer  ${token}`, `Bearer\t${token}`];
    const statuses: number[] = [];
    for (const authorization of spellings) statuses.push((await me(baton, { authorization })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const limited = await me(baton, { authorization: `bEaReR ${token}` });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Another token has its own budget.
    expect((await me(baton, { authorization: `Bearer ${await newToken('other-token@example.com')}` })).status).toBe(200);
  });

  it('limit a browser session by its id', async () => {
    const cookie = await newSessionCookie('browser@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < limit + 1; i++) statuses.push((await me(baton, { cookie })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    // Another session of another person is not affected.
    expect((await me(baton, { cookie: await newSessionCookie('neighbour@example.com') })).status).toBe(200);
  });

  it('limit anonymous callers and refused credentials by client address; probes are not counted', async () => {
    const statuses: number[] = [];
    // Guessing tokens, in any spelling, spends the address's budget.
    for (const authorization of [undefined, `Bearer baton_${'a'.repeat(43)}`, `bearer baton_${'b'.repeat(43)}`, 'Basic eDp5', undefined]) {
      statuses.push((await me(baton, authorization === undefined ? {} : { authorization })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    for (let i = 0; i < limit + 2; i++) expect((await fetch(`${baton.url}/healthz`)).status).toBe(200);
    // A forwarded address is ignored unless BATON_TRUST_PROXY says so: no fresh budget per header.
    expect((await me(baton, { 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
  });

  it('take the client address from X-Forwarded-For only from a trusted proxy (BATON_TRUST_PROXY)', async () => {
    const from = (address: string) => me(proxied, { 'x-forwarded-for': address });
    const first: number[] = [];
    for (let i = 0; i < limit + 1; i++) first.push((await from('203.0.113.1')).status);
    expect(first).toEqual([401, 401, 401, 429]);
    // Another client behind the same proxy has its own budget.
    expect((await from('203.0.113.2')).status).toBe(401);
    // The proxy appends the peer it saw: the client cannot choose its address by prepending one.
    expect((await from('198.51.100.9, 203.0.113.1')).status).toBe(429);
  });
});
