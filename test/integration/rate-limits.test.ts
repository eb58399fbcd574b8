import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Redis } from 'ioredis';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../src/app/identity/secrets.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { captureLogs } from '../support/log-capture.ts';
import { redisServer, startRedis, type TestRedis } from '../support/redis.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Rate limits are keyed by what authenticated the caller: the token, the browser session, else the
// client address (BATON_TRUST_PROXY decides whether X-Forwarded-For names it).
let database: TestDatabase;
let baton: TestApp;
let proxied: TestApp;
/** A second instance on the same database, beside `baton`; its logs are kept. */
let second: TestApp;
const secondLogs = captureLogs();
/** Behind two proxies, trusted by hop count alone (BATON_TRUST_PROXY=2). */
let twoHops: TestApp;
const twoHopsLogs = captureLogs();
/** Trusts 127.0.0.2 alone: requests from 127.0.0.3 are an untrusted peer's. */
let onlyOneProxy: TestApp;
/** Behind a proxy that ends TLS: the public URL is https, the proxy speaks plain http to Baton. */
let tlsBehindProxy: TestApp;
const limit = 3;

beforeAll(async () => {
  database = await createTestDatabase();
  const limits = {
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: String(limit),
    BATON_RATE_LIMIT_SESSION_PER_MINUTE: String(limit),
    BATON_RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(limit),
  };
  baton = await startTestApp(database.url, limits);
  proxied = await startTestApp(database.url, { ...limits, BATON_TRUST_PROXY: 'loopback' });
  second = await startTestApp(database.url, limits, { logs: secondLogs.stream });
  twoHops = await startTestApp(database.url, { ...limits, BATON_TRUST_PROXY: '2' }, { logs: twoHopsLogs.stream });
  onlyOneProxy = await startTestApp(database.url, { ...limits, BATON_TRUST_PROXY: '127.0.0.2' });
  tlsBehindProxy = await startTestApp(database.url, {
    BATON_TRUST_PROXY: '1',
    BATON_PUBLIC_URL: 'https://baton.example.test',
  });
});
afterAll(async () => {
  await baton?.close();
  await proxied?.close();
  await second?.close();
  await twoHops?.close();
  await onlyOneProxy?.close();
  await tlsBehindProxy?.close();
  await database?.drop();
});

async function newToken(email: string): Promise<string> {
  return (await bootstrapToken(baton.ctx, { email })).secret;
}

async function newSessionCookie(email: string): Promise<string> {
  const { user } = await bootstrapToken(baton.ctx, { email });
  const secret = randomSecret();
  const now = Date.now();
  await baton.ctx.sessions.create({
    secretHash: await sha256(secret),
    userId: user.id,
    idleExpiresAt: new Date(now + 3_600_000),
    absoluteExpiresAt: new Date(now + 86_400_000),
  });
  return `baton_session=${secret}`;
}

const me = (app: TestApp, headers: Record<string, string> = {}) => fetch(`${app.url}/v1/me`, { headers });

/** GET /v1/me from a chosen local address (127.0.0.0/8 is all loopback): a peer other than 127.0.0.1. */
function meFrom(app: TestApp, localAddress: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const sent = httpRequest(`${app.url}/v1/me`, { localAddress, headers, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    sent.on('error', reject);
    sent.end();
  });
}

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
    expect((await me(baton, { authorization: `Bearer ${await newToken('other-token@example.com')}` })).status).toBe(
      200,
    );
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
    for (const authorization of [
      undefined,
      `Bearer baton_${'a'.repeat(43)}`,
      `bearer baton_${'b'.repeat(43)}`,
      'Basic eDp5',
      undefined,
    ]) {
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

describe('behind a proxy', () => {
  it(
    'with a hop count, the client is that many addresses from ' +
      'the end of X-Forwarded-For, whatever the client prepends',
    async () => {
      // The client's own header, then what the two proxies appended: the client's address and the first proxy's.
      const via = (spoofed: string, client: string) =>
        me(twoHops, { 'x-forwarded-for': `${spoofed}, ${client}, 10.0.0.9` });
      const statuses: number[] = [];
      for (let i = 0; i < limit + 1; i++) statuses.push((await via(`198.51.100.${i + 1}`, '203.0.113.50')).status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect((await via('198.51.100.1', '203.0.113.51')).status).toBe(401);
      // The logs name the client too.
      const addresses = twoHopsLogs
        .lines()
        .flatMap((line) => (line.req as { remoteAddress?: string } | undefined)?.remoteAddress ?? []);
      expect(addresses).toContain('203.0.113.50');
      expect(addresses.some((address) => address.startsWith('198.51.100.') || address === '10.0.0.9')).toBe(false);
    },
  );

  it(
    'reads X-Forwarded-For from a trusted peer only: an ' + 'untrusted one spends its own budget whatever it claims',
    async () => {
      const trusted: number[] = [];
      for (let i = 0; i < limit + 1; i++)
        trusted.push(await meFrom(onlyOneProxy, '127.0.0.2', { 'x-forwarded-for': '203.0.113.60' }));
      expect(trusted).toEqual([401, 401, 401, 429]);
      expect(await meFrom(onlyOneProxy, '127.0.0.2', { 'x-forwarded-for': '203.0.113.61' })).toBe(401);
      // 127.0.0.3 is no trusted proxy: a fresh address in its header gets it no fresh budget.
      const untrusted: number[] = [];
      for (let i = 0; i < limit + 1; i++)
        untrusted.push(await meFrom(onlyOneProxy, '127.0.0.3', { 'x-forwarded-for': `203.0.113.${70 + i}` }));
      expect(untrusted).toEqual([401, 401, 401, 429]);
      // Nor can it spend the budget of the address it names.
      expect(await meFrom(onlyOneProxy, '127.0.0.2', { 'x-forwarded-for': '203.0.113.71' })).toBe(401);
    },
  );

  it(
    'sets Secure __Host- cookies when the public URL is https, ' +
      'though the proxy speaks http and whatever X-Forwarded-Proto says',
    async () => {
      const token = (await bootstrapToken(tlsBehindProxy.ctx, { email: 'behind-tls@example.com' })).secret;
      for (const proto of [undefined, 'http', 'https']) {
        const headers: Record<string, string> = {
          authorization: `Bearer ${token}`,
          'x-forwarded-for': '203.0.113.80',
          ...(proto === undefined ? {} : { 'x-forwarded-proto': proto }),
        };
        const response = await fetch(`${tlsBehindProxy.url}/auth/logout`, { method: 'POST', headers });
        expect(response.status, String(proto)).toBe(204);
        expect(response.headers.get('set-cookie'), String(proto)).toMatch(
          /^__Host-baton_session=; Path=\/;.*; Secure$/,
        );
      }
    },
  );
});

/** What a bucket is stored under: the SHA-256 (hex) of what it belongs to. */
const stored = (bucket: string) => createHash('sha256').update(bucket).digest('hex');

describe('rate limits shared by every instance', () => {
  it('hold across two instances on one database: requests split over both get 429 at the limit', async () => {
    const { secret, token } = await bootstrapToken(baton.ctx, { email: 'two-instances@example.com' });
    const authorization = `Bearer ${secret}`;
    const statuses: number[] = [];
    for (const app of [baton, second, baton, second, baton]) statuses.push((await me(app, { authorization })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    // Postgres keeps the count under a hash: no token, no token id, no session id, no address.
    const { rows } = await sql<{ bucket: string; count: number }>`select bucket, count from rate_limit_counts`.execute(
      baton.db,
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const { bucket } of rows) expect(bucket).toMatch(/^[0-9a-f]{64}$/);
    expect(rows.find((row) => row.bucket === stored(`token:${token.id}`))?.count).toBe(5);
    expect(JSON.stringify(rows)).not.toContain(secret);
    // Nor do the logs hold the token.
    expect(secondLogs.text()).not.toContain(secret.slice(6));
  });

  it('hold for browser sessions and addresses across instances too', async () => {
    const cookie = await newSessionCookie('two-instances-browser@example.com');
    const statuses: number[] = [];
    for (const app of [second, baton, second, baton]) statuses.push((await me(app, { cookie })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await me(proxied, { 'x-forwarded-for': '203.0.113.99' })).status).toBe(401);
    const { rows } = await sql<{ bucket: string }>`select bucket from rate_limit_counts`.execute(baton.db);
    expect(JSON.stringify(rows)).not.toContain(cookie.split('=')[1]);
    expect(JSON.stringify(rows)).not.toContain('203.0.113.99');
    expect(rows.map((row) => row.bucket)).toContain(stored('address:203.0.113.99'));
  });
});

describe.skipIf(redisServer === undefined)('rate limits with REDIS_URL', () => {
  let redis: TestRedis;
  let inspect: Redis;
  const instances: TestApp[] = [];
  const logs = captureLogs();
  beforeAll(async () => {
    redis = await startRedis();
    inspect = new Redis(redis.url);
    // It loses Redis too when a test stops it.
    inspect.on('error', () => undefined);
    instances.push(
      await startTestApp(
        database.url,
        { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: String(limit), REDIS_URL: redis.url },
        { logs: logs.stream },
      ),
    );
    instances.push(
      await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: String(limit), REDIS_URL: redis.url }),
    );
  });
  afterAll(async () => {
    inspect?.disconnect();
    for (const instance of instances) await instance.close();
    await redis?.stop();
  });

  it('are counted in Redis, under hashes, across instances', async () => {
    const [one, two] = instances as [TestApp, TestApp];
    const { secret, token } = await bootstrapToken(one.ctx, { email: 'redis-limits@example.com' });
    const authorization = `Bearer ${secret}`;
    const statuses: number[] = [];
    for (const app of [one, two, one, two]) statuses.push((await me(app, { authorization })).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const keys = await inspect.keys('baton:rate-limit:*');
    expect(keys).toContain(`baton:rate-limit:${stored(`token:${token.id}`)}`);
    for (const key of keys) expect(key).toMatch(/^baton:rate-limit:[0-9a-f]{64}$/);
    // Not in Postgres.
    const { rows } = await sql<{
      bucket: string;
    }>`select bucket from rate_limit_counts where bucket = ${stored(`token:${token.id}`)}`.execute(one.db);
    expect(rows).toEqual([]);
  });

  it('fail open when Redis is gone: requests are served, never a 500, and the outage is logged once', async () => {
    const [one] = instances as [TestApp];
    const { secret, token } = await bootstrapToken(one.ctx, { email: 'redis-gone@example.com' });
    await redis.stop();
    const statuses: number[] = [];
    for (let i = 0; i < limit + 3; i++) statuses.push((await me(one, { authorization: `Bearer ${secret}` })).status);
    expect(statuses).toEqual(new Array<number>(limit + 3).fill(200));
    const warnings = logs.lines().filter((line) => String(line.msg).startsWith('rate limits are not enforced'));
    expect(warnings).toHaveLength(1);
    // Redis back on its address: requests are counted again, and that is logged once too.
    redis = await startRedis(Number(new URL(redis.url).port));
    const key = `baton:rate-limit:${stored(`token:${token.id}`)}`;
    await eventually(
      async () =>
        (await me(one, { authorization: `Bearer ${secret}` })).status === 200 && (await inspect.get(key)) !== null,
      20_000,
      'a request counted in Redis again',
    );
    expect(
      logs.lines().filter((line) => line.msg === 'rate limits are counted again: their store answers'),
    ).toHaveLength(1);
  });
});
