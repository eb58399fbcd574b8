import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { TestBrowser } from '../support/browser.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { loginUntilCallback, startProxiedProvider, type ProxiedProvider } from '../support/identity.ts';
import { buildWorkerBundle, startBatonWorker, type WorkerdWorker } from '../support/workerd.ts';

// Sign-in on Cloudflare: the built Worker in workerd is the relying party of a real OpenID Connect
// provider (oidc-provider, behind a proxy that can turn hostile), as test/integration/login-flow
// does for Node: openid-client's discovery, PKCE, state and nonce checks and ID token validation
// run inside workerd.
let database: TestDatabase;
let idp: ProxiedProvider;
let worker: WorkerdWorker;
let outDir: string;
let url: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-login-worker-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  // The provider must know the callback before the Worker starts, so its port is chosen first.
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  idp = await startProxiedProvider(`${url}/auth/callback`);
  await built;
  worker = await startBatonWorker({
    bundle: join(outDir, 'worker.js'),
    databaseUrl: database.url,
    publicUrl: url,
    port,
    env: { OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: idp.clientId, OIDC_CLIENT_SECRET: idp.clientSecret },
  });
});

afterAll(async () => {
  await worker?.dispose();
  await idp?.close();
  await database?.drop();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

beforeEach(() => {
  idp.mode = 'pass';
});

async function me(browser: TestBrowser) {
  const res = await browser.request(`${url}/v1/me`);
  return {
    status: res.status,
    body: (await res.json()) as { user?: { email: string; name: string }; authentication?: { via: string } },
  };
}

describe('login with OpenID Connect, in the Worker', () => {
  it('signs in, sets an HttpOnly SameSite=Lax session cookie, returns to returnTo, and logs out', async () => {
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, url, 'Ada@Example.com', {
      returnTo: '/dashboards/x',
      name: 'Ada Lovelace',
    });
    const res = await browser.request(callback);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/dashboards/x');
    expect(res.headers.getSetCookie().find((c) => c.startsWith('baton_session='))).toMatch(
      /HttpOnly.*SameSite=Lax|SameSite=Lax.*HttpOnly/,
    );
    expect(await me(browser)).toMatchObject({
      status: 200,
      body: { user: { email: 'ada@example.com', name: 'Ada Lovelace' }, authentication: { via: 'session' } },
    });
    // Logging out needs CSRF proof (the Origin of Baton's own pages).
    expect((await browser.request(`${url}/auth/logout`, { method: 'POST' })).status).toBe(403);
    expect(
      (await browser.request(`${url}/auth/logout`, { method: 'POST', headers: { origin: url } })).status,
    ).toBeLessThan(400);
    expect((await me(browser)).status).toBe(401);
  });

  it('rejects a callback whose state does not match the browser', async () => {
    const browser = new TestBrowser();
    const callback = new URL(await loginUntilCallback(browser, url, 'eve@example.com'));
    callback.searchParams.set('state', 'not-the-state');
    const res = await browser.request(callback.toString());
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'login_failed', message: expect.stringContaining('state') },
    });
    expect((await me(browser)).status).toBe(401);
  });

  it(
    'rejects ID tokens whose claims were tampered with ' + 'or that a key the provider never published signed',
    async () => {
      for (const mode of ['tamper-claims', 'wrong-key'] as const) {
        const browser = new TestBrowser();
        const callback = await loginUntilCallback(browser, url, `honest-${mode}@example.com`);
        idp.mode = mode;
        const res = await browser.request(callback);
        expect({ mode, status: res.status }).toEqual({ mode, status: 400 });
        expect(await res.json()).toMatchObject({ error: { code: 'login_failed' } });
        expect((await me(browser)).status).toBe(401);
        idp.mode = 'pass';
      }
    },
  );
});
