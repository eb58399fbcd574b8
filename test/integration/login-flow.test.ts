import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { TestBrowser } from '../support/browser.ts';
import { captureLogs } from '../support/log-capture.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { loginUntilCallback, startProxiedProvider, type ProxiedProvider } from '../support/identity.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// The whole login flow against a real OpenID Connect provider (oidc-provider) started here.
let database: TestDatabase;
let idp: ProxiedProvider;
let baton: TestApp;
const logs = captureLogs();

beforeAll(async () => {
  database = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  idp = await startProxiedProvider(`${url}/auth/callback`);
  baton = await startTestApp(
    database.url,
    {
      PORT: String(port),
      BATON_PUBLIC_URL: url,
      OIDC_ISSUER: idp.issuer,
      OIDC_CLIENT_ID: idp.clientId,
      OIDC_CLIENT_SECRET: idp.clientSecret,
      BATON_RATE_LIMIT_AUTH_PER_MINUTE: '1000',
    },
    { logs: logs.stream },
  );
});
afterAll(async () => {
  await baton.close();
  await idp.close();
  await database.drop();
});
beforeEach(() => {
  idp.mode = 'pass';
});

async function me(browser: TestBrowser) {
  const res = await browser.request(`${baton.url}/v1/me`);
  return {
    status: res.status,
    body: (await res.json()) as {
      user?: { email: string; name: string; id: string };
      authentication?: { via: string };
    },
  };
}

describe('login with OpenID Connect', () => {
  it('signs in, sets an HttpOnly SameSite=Lax session cookie, and returns to returnTo', async () => {
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, baton.url, 'Ada@Example.com', {
      returnTo: '/dashboards/x?tab=1',
      name: 'Ada Lovelace',
    });
    const res = await browser.request(callback);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboards/x?tab=1');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('baton_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/); // http in tests; https public URLs get Secure
    const who = await me(browser);
    expect(who).toMatchObject({
      status: 200,
      body: { user: { email: 'ada@example.com', name: 'Ada Lovelace' }, authentication: { via: 'session' } },
    });
  });

  it('keys users by issuer and subject, refreshes the name at login, and rotates the session', async () => {
    const browser = new TestBrowser();
    await browser.request(await loginUntilCallback(browser, baton.url, 'grace@example.com', { name: 'Grace' }));
    const first = await me(browser);
    const firstSession = browser.cookie('baton_session');
    await browser.request(await loginUntilCallback(browser, baton.url, 'grace@example.com', { name: 'Grace Hopper' }));
    const second = await me(browser);
    expect(second.body.user?.id).toBe(first.body.user?.id);
    expect(second.body.user?.name).toBe('Grace Hopper');
    expect(browser.cookie('baton_session')).not.toBe(firstSession);
    // The old session id no longer works.
    const stale = new TestBrowser();
    stale.setCookie('baton_session', firstSession ?? '');
    expect((await me(stale)).status).toBe(401);
  });

  it('rejects a callback whose state does not match the browser', async () => {
    const browser = new TestBrowser();
    const callback = new URL(await loginUntilCallback(browser, baton.url, 'eve@example.com'));
    callback.searchParams.set('state', 'not-the-state');
    const res = await browser.request(callback.toString());
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'login_failed', message: expect.stringContaining('state') },
    });
    expect((await me(browser)).status).toBe(401);
  });

  it('rejects a callback from another browser (login CSRF): the state cookie is missing', async () => {
    const callback = await loginUntilCallback(new TestBrowser(), baton.url, 'mallory@example.com');
    const victim = new TestBrowser();
    const res = await victim.request(callback);
    expect(res.status).toBe(400);
    expect((await me(victim)).status).toBe(401);
  });

  it('rejects a reused state: a callback can be finished once', async () => {
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, baton.url, 'once@example.com');
    const state = browser.cookie('baton_login') ?? '';
    expect((await browser.request(callback)).status).toBe(302);
    browser.setCookie('baton_login', state, '/auth');
    const replay = await browser.request(callback);
    expect(replay.status).toBe(400);
    expect(await replay.json()).toMatchObject({
      error: { code: 'login_failed', message: expect.stringContaining('already') },
    });
  });

  it('rejects a replayed authorization code in a new login', async () => {
    const browser = new TestBrowser();
    const first = new URL(await loginUntilCallback(browser, baton.url, 'replay@example.com'));
    expect((await browser.request(first.toString())).status).toBe(302);
    // A fresh login (new state, nonce and verifier) carrying the old, already used code.
    const attacker = new TestBrowser();
    const second = new URL(await loginUntilCallback(attacker, baton.url, 'replay@example.com'));
    second.searchParams.set('code', first.searchParams.get('code') ?? '');
    const res = await attacker.request(second.toString());
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'login_failed', message: expect.stringContaining('invalid_grant') },
    });
    expect((await me(attacker)).status).toBe(401);
  });

  it('rejects an ID token whose claims were tampered with', async () => {
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, baton.url, 'honest@example.com');
    idp.mode = 'tamper-claims';
    const res = await browser.request(callback);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'login_failed' } });
    expect((await me(browser)).status).toBe(401);
  });

  it('rejects an ID token signed with a key the provider never published', async () => {
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, baton.url, 'honest2@example.com');
    idp.mode = 'wrong-key';
    const res = await browser.request(callback);
    expect(res.status).toBe(400);
    expect((await me(browser)).status).toBe(401);
  });

  it('refuses an open redirect through returnTo', async () => {
    const normalisedAway = [
      '/.//evil.test',
      '/..//evil.test',
      '/a/../..//evil.test',
      '/%2e%2e//evil.test',
      '/./\\evil.test',
      '/\t/evil.test',
      '/\n/evil.test',
    ];
    for (const returnTo of [
      'https://evil.test/',
      '//evil.test/x',
      '/\\evil.test',
      'javascript:alert(1)',
      'evil.test',
      ...normalisedAway,
    ]) {
      const res = await new TestBrowser().request(`${baton.url}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      expect({ returnTo, status: res.status }).toEqual({ returnTo, status: 400 });
      expect(((await res.json()) as { error: { message: string } }).error.message).toContain('query.returnTo');
    }
  });

  it('logs out: the session is revoked and the cookie cleared; logout needs CSRF proof', async () => {
    const browser = new TestBrowser();
    await browser.request(await loginUntilCallback(browser, baton.url, 'leaving@example.com'));
    const forged = await browser.request(`${baton.url}/auth/logout`, { method: 'POST' });
    expect(forged.status).toBe(403);
    const session = browser.cookie('baton_session') ?? '';
    const res = await browser.request(`${baton.url}/auth/logout`, { method: 'POST', headers: { origin: baton.url } });
    expect(res.status).toBe(204);
    expect(browser.cookie('baton_session')).toBeUndefined();
    const old = new TestBrowser();
    old.setCookie('baton_session', session);
    expect((await me(old)).status).toBe(401);
  });

  it('keeps the browser that signed in with the session, for the list of your sessions', async () => {
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, baton.url, 'listed@example.com');
    expect(
      (await browser.request(callback, { headers: { 'user-agent': 'TestBrowser/1.0 (Baton tests)\t' } })).status,
    ).toBe(302);
    const listed = await browser.request(`${baton.url}/v1/me/sessions`);
    expect(listed.status).toBe(200);
    const { sessions } = (await listed.json()) as { sessions: Array<{ userAgent: string | null; current: boolean }> };
    expect(sessions).toEqual([expect.objectContaining({ userAgent: 'TestBrowser/1.0 (Baton tests)', current: true })]);
  });

  it('never writes session ids, codes or states to the logs', async () => {
    const browser = new TestBrowser();
    const callback = new URL(await loginUntilCallback(browser, baton.url, 'quiet@example.com'));
    await browser.request(callback.toString());
    await me(browser);
    const text = logs.text();
    expect(text).toContain('/auth/callback');
    for (const secret of [
      browser.cookie('baton_session'),
      callback.searchParams.get('code'),
      callback.searchParams.get('state'),
    ]) {
      expect(secret).toBeTruthy();
      expect(text).not.toContain(secret);
    }
  });
});

describe('cookies of an https deployment', () => {
  let secureIdp: ProxiedProvider;
  let secure: TestApp;
  let publicUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    // Served over plain http here, as behind a TLS-terminating proxy; the public URL is https.
    publicUrl = `https://127.0.0.1:${port}`;
    secureIdp = await startProxiedProvider(`${publicUrl}/auth/callback`);
    secure = await startTestApp(database.url, {
      PORT: String(port),
      BATON_PUBLIC_URL: publicUrl,
      OIDC_ISSUER: secureIdp.issuer,
      OIDC_CLIENT_ID: secureIdp.clientId,
      OIDC_CLIENT_SECRET: secureIdp.clientSecret,
      BATON_RATE_LIMIT_AUTH_PER_MINUTE: '1000',
    });
  });
  afterAll(async () => {
    await secure?.close();
    await secureIdp?.close();
  });

  it('are __Host- prefixed, Secure, Path=/ and without Domain; unprefixed ones are ignored', async () => {
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, secure.url, 'hosted@example.com', { publicUrl });
    expect(browser.cookie('__Host-baton_login')).toBeTruthy();
    const res = await browser.request(callback.replace(publicUrl, secure.url));
    expect(res.status).toBe(302);
    const cookies = res.headers.getSetCookie();
    const session = cookies.find((c) => c.startsWith('__Host-baton_session='));
    expect(session).toMatch(/; Path=\/;.*HttpOnly; SameSite=Lax; Secure$/);
    expect(session).not.toMatch(/Domain=/i);
    expect(cookies.find((c) => c.startsWith('__Host-baton_login='))).toMatch(
      /^__Host-baton_login=; Path=\/; Max-Age=0;.*Secure$/,
    );
    expect(cookies.some((c) => c.startsWith('baton_'))).toBe(false);
    const secret = browser.cookie('__Host-baton_session') ?? '';
    const who = await fetch(`${secure.url}/v1/me`, { headers: { cookie: `__Host-baton_session=${secret}` } });
    expect(who.status).toBe(200);
    // A cookie without the prefix could have been planted by a sibling host or over http: not read.
    expect((await fetch(`${secure.url}/v1/me`, { headers: { cookie: `baton_session=${secret}` } })).status).toBe(401);
    const out = await fetch(`${secure.url}/auth/logout`, {
      method: 'POST',
      headers: { cookie: `__Host-baton_session=${secret}`, origin: publicUrl },
    });
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie()).toEqual([
      expect.stringMatching(/^__Host-baton_session=; Path=\/; Max-Age=0;.*Secure$/),
    ]);
  });
});
