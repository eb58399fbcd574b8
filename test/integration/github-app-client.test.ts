import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createGitHubAppClient, type GitHubAppClientOptions } from '../../src/adapters/github/github-app-client.ts';
import { IntegrationError } from '../../src/domain/integrations/errors.ts';
import type { GitHubApp } from '../../src/ports/github.ts';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-stand-in.ts';

const installationId = 4242;
const acme = { owner: 'acme', repo: 'api', number: 12 };

let gh: GitHubStandIn;
beforeEach(async () => {
  gh = await startGitHubStandIn();
  gh.addInstallation({
    id: installationId,
    account: { login: 'acme', type: 'Organization' },
    repositories: ['api', 'web', 'docs'],
    permissions: { metadata: 'read', contents: 'write', issues: 'write', pull_requests: 'write' },
  });
});
afterEach(async () => gh.close());

const client = (overrides: Partial<GitHubAppClientOptions> = {}): GitHubApp =>
  createGitHubAppClient({ appId: gh.appId, privateKeyPem: gh.privateKeyPem, apiUrl: gh.url, ...overrides });

/** The IntegrationError a call failed with (the test fails if it succeeded or failed otherwise). */
async function failure(call: Promise<unknown>): Promise<IntegrationError> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  const integration = error as IntegrationError;
  expect(integration.provider).toBe('github');
  return integration;
}

const appRequests = () => gh.requests.filter((r) => r.path.startsWith('/app/'));

describe('GitHub App client against a GitHub stand-in', () => {
  it('looks up an installation as the App, with the JWT and headers GitHub requires', async () => {
    const installation = await client().installation(installationId);
    expect(installation).toEqual({
      id: installationId,
      account: { login: 'acme', type: 'Organization' },
      repositorySelection: 'selected',
      permissions: { metadata: 'read', contents: 'write', issues: 'write', pull_requests: 'write' },
      suspendedAt: null,
    });
    const [request] = appRequests();
    expect(request?.headers).toMatchObject({
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'baton',
    });
    const claims = request?.auth.claims ?? {};
    const now = Math.floor(Date.now() / 1000);
    expect(request?.auth.scheme).toBe('Bearer');
    expect(claims.iss).toBe(gh.appId);
    expect(claims.iat).toBeLessThanOrEqual(now - 59);
    expect((claims.exp ?? Infinity) - now).toBeLessThanOrEqual(600);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBeLessThanOrEqual(600);

    gh.suspend(installationId);
    expect((await client().installation(installationId)).suspendedAt).toBeInstanceOf(Date);
  });

  it('mints a token for one repository and issues: write that comments there and is refused elsewhere', async () => {
    const app = client();
    const token = await app.mintToken(installationId, { repositories: ['api'], permissions: { issues: 'write' } });
    expect(token.token).toMatch(/^ghs_/);
    expect(token.repositories).toEqual(['api']);
    expect(token.permissions).toEqual({ issues: 'write' });
    expect(token.expiresAt.getTime() - Date.now()).toBeGreaterThan(55 * 60_000);
    expect(gh.requests.find((r) => r.path.endsWith('/access_tokens'))?.body).toEqual({
      repositories: ['api'],
      permissions: { issues: 'write' },
    });

    const comment = await app.commentOnIssue(token.token, acme, 'The build is green.');
    expect(comment.url).toBe(`https://github.com/acme/api/issues/12#issuecomment-${comment.id}`);
    expect(gh.comments).toEqual([
      {
        id: comment.id,
        owner: 'acme',
        repo: 'api',
        number: 12,
        body: 'The build is green.',
        scope: { installationId, repositories: ['api'], permissions: { issues: 'write' } },
      },
    ]);
    const commentRequest = gh.requests.find((r) => r.path.endsWith('/comments'));
    expect(commentRequest?.body).toEqual({ body: 'The build is green.' });

    const elsewhere = await failure(app.commentOnIssue(token.token, { ...acme, repo: 'web' }, 'Hello'));
    expect(elsewhere.code).toBe('integration_denied');
    expect(elsewhere.retryable).toBe(false);
    expect(elsewhere.message).toMatch(/acme\/web is not reachable with this token/);
    expect(gh.comments).toHaveLength(1);
  });

  it(
    'mints a token with all the installation has when the ' +
      'scope is empty, and refuses a token without issue rights',
    async () => {
      const app = client();
      const everything = await app.mintToken(installationId, {});
      expect(everything.repositories).toBeNull();
      expect(everything.permissions).toEqual({
        metadata: 'read',
        contents: 'write',
        issues: 'write',
        pull_requests: 'write',
      });
      await app.commentOnIssue(everything.token, { ...acme, repo: 'docs' }, 'All repositories');

      const readOnly = await app.mintToken(installationId, {
        repositories: ['api'],
        permissions: { contents: 'read' },
      });
      const denied = await failure(app.commentOnIssue(readOnly.token, acme, 'Nope'));
      expect(denied.code).toBe('integration_denied');
      expect(denied.message).toMatch(/issues: write/);
      expect(gh.comments.map((c) => c.repo)).toEqual(['docs']);
    },
  );

  it('refuses a token for a repository or permission outside the installation as integration_rejected', async () => {
    const app = client();
    const outside = await failure(app.mintToken(installationId, { repositories: ['api', 'secret-plans'] }));
    expect(outside.code).toBe('integration_rejected');
    expect(outside.message).toMatch(/installation 4242/);
    expect(outside.message).toMatch(/not accessible to the parent installation/);
    const tooMuch = await failure(app.mintToken(installationId, { permissions: { administration: 'write' } }));
    expect(tooMuch.code).toBe('integration_rejected');
    expect(gh.tokens).toEqual([]);
  });

  it('revokes a token: commenting with it then fails as integration_revoked, and revoking again is fine', async () => {
    const app = client();
    const token = await app.mintToken(installationId, { repositories: ['api'], permissions: { issues: 'write' } });
    await app.revokeToken(token.token);
    expect(gh.tokens.find((t) => t.token === token.token)?.revoked).toBe(true);

    const refused = await failure(app.commentOnIssue(token.token, acme, 'Too late'));
    expect(refused.code).toBe('integration_revoked');
    expect(refused.retryable).toBe(false);
    expect(refused.message).toMatch(/expired or was revoked/);
    expect(refused.message).not.toContain(token.token);
    expect(JSON.stringify(refused.details)).not.toContain(token.token);
    await expect(app.revokeToken(token.token)).resolves.toBeUndefined();
    expect(gh.comments).toEqual([]);
  });

  it('treats an expired token like a revoked one', async () => {
    const app = client();
    const token = await app.mintToken(installationId, { repositories: ['api'], permissions: { issues: 'write' } });
    gh.expireTokens();
    const refused = await failure(app.commentOnIssue(token.token, acme, 'Too late'));
    expect(refused.code).toBe('integration_revoked');
    expect(refused.message).not.toContain(token.token);
    await expect(app.revokeToken(token.token)).resolves.toBeUndefined();
  });

  it('says that a removed or suspended installation must be connected again', async () => {
    const app = client();
    gh.suspend(installationId);
    const suspended = await failure(app.mintToken(installationId, {}));
    expect(suspended.code).toBe('integration_revoked');
    expect(suspended.message).toMatch(/GitHub installation 4242 is suspended; an admin must/);

    gh.remove(installationId);
    const removed = await failure(app.mintToken(installationId, {}));
    expect(removed.code).toBe('integration_revoked');
    expect(removed.message).toMatch(/GitHub installation 4242 was removed .*; an admin must connect it again/);
    expect((await failure(app.installation(installationId))).code).toBe('integration_revoked');
  });

  it('reports 5xx answers and rate limits as integration_unavailable, which may be retried', async () => {
    const app = client();
    gh.failNext(502);
    const outage = await failure(app.mintToken(installationId, {}));
    expect(outage).toMatchObject({ code: 'integration_unavailable', retryable: true });
    expect(outage.message).toMatch(/answered 502/);

    const token = await app.mintToken(installationId, { repositories: ['api'] });
    gh.failNext(500);
    expect(await failure(app.commentOnIssue(token.token, acme, 'x'))).toMatchObject({
      code: 'integration_unavailable',
      retryable: true,
    });
    gh.failNext(503);
    expect((await failure(app.revokeToken(token.token))).code).toBe('integration_unavailable');

    gh.failNext(403, 1, { 'retry-after': '30' });
    const secondary = await failure(app.commentOnIssue(token.token, acme, 'x'));
    expect(secondary).toMatchObject({ code: 'integration_unavailable', retryable: true });
    expect(secondary.message).toMatch(/rate limit.*try again in 30 s/);
    gh.failNext(403, 1, { 'x-ratelimit-remaining': '0' });
    expect((await failure(app.installation(installationId))).code).toBe('integration_unavailable');
    gh.failNext(429);
    expect((await failure(app.installation(installationId))).code).toBe('integration_unavailable');

    await app.commentOnIssue(token.token, acme, 'Back again');
    expect(gh.comments.map((c) => c.body)).toEqual(['Back again']);
  });

  it('gives up on a server that does not answer after the timeout, and on one that cannot be reached', async () => {
    gh.hangNext();
    const hung = await failure(client({ timeoutMs: 200 }).installation(installationId));
    expect(hung).toMatchObject({ code: 'integration_unavailable', retryable: true });
    expect(hung.message).toMatch(/did not answer within 200 ms/);

    const unreachable = await failure(client({ apiUrl: 'http://127.0.0.1:9' }).installation(installationId));
    expect(unreachable.code).toBe('integration_unavailable');
    expect(unreachable.message).toMatch(/could not be reached/);
  });

  it('accepts the App key as PKCS#1 (as GitHub hands it out), as PKCS#8, and with escaped newlines', async () => {
    expect(gh.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const pkcs8 = createPrivateKey(gh.privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(pkcs8).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    for (const privateKeyPem of [gh.privateKeyPem, pkcs8, gh.privateKeyPem.replace(/\n/g, '\\n')]) {
      await expect(client({ privateKeyPem }).installation(installationId)).resolves.toMatchObject({
        id: installationId,
      });
    }
  });

  it('refuses anything but an RSA private key with a clear message that does not repeat the key', async () => {
    expect(() => client({ privateKeyPem: 'my-app-secret' })).toThrow(/GitHub App private key is not a PEM key/);
    const { publicKey, privateKey: ecKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => client({ privateKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() })).toThrow(
      /is a "PUBLIC KEY"/,
    );
    expect(() =>
      client({ privateKeyPem: '-----BEGIN RSA PRIVATE KEY-----\n!!not base64!!\n-----END RSA PRIVATE KEY-----' }),
    ).toThrow(/damaged/);

    const ecPem = ecKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const error = await client({ privateKeyPem: ecPem })
      .installation(installationId)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/could not be read as an RSA key/);
    expect((error as Error).message).not.toContain(ecPem.split('\n')[1]);
    expect(appRequests()).toEqual([]);
  });

  it('reports a key GitHub does not accept for the App as integration_revoked', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const other = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const refused = await failure(client({ privateKeyPem: other }).installation(installationId));
    expect(refused.code).toBe('integration_revoked');
    expect(refused.message).toMatch(new RegExp(`credentials of GitHub App ${gh.appId}`));
  });

  it('signs the App JWT once, reuses it, and signs a new one a minute before it expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const app = client();
      await app.installation(installationId);
      await app.mintToken(installationId, {});
      await app.installation(installationId);
      const first = appRequests().map((r) => r.auth.fingerprint);
      expect(new Set(first).size).toBe(1);
      const issuedAt = appRequests()[0]?.auth.claims?.iat ?? 0;

      vi.setSystemTime(Date.now() + 7.5 * 60_000);
      await app.installation(installationId);
      expect(appRequests().at(-1)?.auth.fingerprint).toBe(first[0]);

      vi.setSystemTime(Date.now() + 60_000);
      await app.installation(installationId);
      const renewed = appRequests().at(-1);
      expect(renewed?.auth.fingerprint).not.toBe(first[0]);
      expect(renewed?.auth.claims?.iat).toBe(issuedAt + 8.5 * 60);
    } finally {
      vi.useRealTimers();
    }
  });
});
