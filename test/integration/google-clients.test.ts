import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGoogleDriveClient } from '../../src/adapters/google/google-drive-client.ts';
import {
  createGoogleOAuthClient,
  GOOGLE_DRIVE_FILE_SCOPE,
  type GoogleOAuthClientOptions,
} from '../../src/adapters/google/google-oauth-client.ts';
import { IntegrationError } from '../../src/domain/integrations/errors.ts';
import type { GoogleDrive, GoogleOAuth, GoogleTokens } from '../../src/ports/google.ts';
import { startGoogleStandIn, type GoogleStandIn } from '../support/google-stand-in.ts';

// The Google clients over real HTTP against a stand-in with the shapes of Google's OAuth 2.0 and Drive v3.
const redirectUri = 'https://baton.example/v1/integrations/google/callback';

let google: GoogleStandIn;
let oauth: GoogleOAuth;
let drive: GoogleDrive;
/** Every code, verifier, token and secret a test handled, and every error it saw: none may leak. */
let secrets: string[];
let errors: IntegrationError[];

const oauthClient = (overrides: Partial<GoogleOAuthClientOptions> = {}): GoogleOAuth =>
  createGoogleOAuthClient({
    clientId: google.clientId,
    clientSecret: google.clientSecret,
    authUrl: `${google.url}/o/oauth2/v2/auth`,
    tokenUrl: `${google.url}/token`,
    revokeUrl: `${google.url}/revoke`,
    allowInsecureHttp: true,
    timeoutMs: 5_000,
    ...overrides,
  });

beforeEach(async () => {
  google = await startGoogleStandIn();
  google.register(redirectUri);
  oauth = oauthClient();
  drive = createGoogleDriveClient({ apiUrl: google.url, timeoutMs: 5_000 });
  secrets = [google.clientSecret];
  errors = [];
});

afterEach(async () => {
  await google.close();
  // No message a user or a log may see names a secret, anywhere along the cause chain.
  for (const error of errors) {
    const texts = [JSON.stringify(error.details)];
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) texts.push(cause.message);
    for (const secret of secrets) for (const text of texts) expect(text).not.toContain(secret);
  }
});

/** Runs the consent step as a browser would, stopping at the redirect back to Baton. */
async function consent(
  shape: (url: URL) => URL = (url) => url,
): Promise<{ location: URL; state: string; code: string; verifier: string }> {
  const pkce = await pkcePair();
  const state = crypto.randomUUID();
  const response = await fetch(shape(oauth.authorizationUrl({ state, codeChallenge: pkce.challenge, redirectUri })), {
    redirect: 'manual',
  });
  expect(response.status).toBe(302);
  const location = new URL(response.headers.get('location') ?? '');
  const code = location.searchParams.get('code') ?? '';
  secrets.push(pkce.verifier, ...(code === '' ? [] : [code]));
  return { location, state, code, verifier: pkce.verifier };
}

async function connect(): Promise<GoogleTokens> {
  const { code, verifier } = await consent();
  return keep(await oauth.exchangeCode(code, verifier, redirectUri));
}

function keep(tokens: GoogleTokens): GoogleTokens {
  secrets.push(tokens.accessToken, tokens.refreshToken);
  return tokens;
}

/** The IntegrationError a call rejects with (the test fails if it resolves or throws anything else). */
async function failure(promise: Promise<unknown>): Promise<IntegrationError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(IntegrationError);
  const integrationError = error as IntegrationError;
  expect(integrationError.provider).toBe('google');
  errors.push(integrationError);
  return integrationError;
}

describe('GoogleOAuth against a Google stand-in', () => {
  it('connects through the PKCE flow and gets tokens that work on Drive', async () => {
    const pkce = await pkcePair();
    const url = oauth.authorizationUrl({
      state: 'state-1',
      codeChallenge: pkce.challenge,
      redirectUri,
      loginHint: 'ada@example.com',
    });
    expect(url.origin + url.pathname).toBe(`${google.url}/o/oauth2/v2/auth`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: google.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: GOOGLE_DRIVE_FILE_SCOPE,
      state: 'state-1',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      access_type: 'offline',
      prompt: 'consent',
      include_granted_scopes: 'true',
      login_hint: 'ada@example.com',
    });

    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const location = new URL(response.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('state-1');
    const code = location.searchParams.get('code') ?? '';
    secrets.push(pkce.verifier, code);

    const before = Date.now();
    const tokens = keep(await oauth.exchangeCode(code, pkce.verifier, redirectUri));
    expect(tokens.refreshToken).not.toBe('');
    expect(tokens.scopes).toEqual([GOOGLE_DRIVE_FILE_SCOPE]);
    expect(tokens.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3599_000);
    expect(tokens.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3599_000);
    expect(await drive.about(tokens.accessToken)).toEqual({ email: 'ada@example.com', displayName: 'Ada Lovelace' });

    const exchange = google.requests.find((r) => r.path === '/token');
    expect(exchange).toMatchObject({
      clientAuth: 'client_secret_post',
      form: {
        grant_type: 'authorization_code',
        redirect_uri: redirectUri,
        code: '[redacted]',
        code_verifier: '[redacted]',
      },
    });
  });

  it('brings the user back with access_denied when they refuse', async () => {
    google.denyNext();
    const { location, state } = await consent();
    expect(location.searchParams.get('error')).toBe('access_denied');
    expect(location.searchParams.get('state')).toBe(state);
    expect(location.searchParams.has('code')).toBe(false);
  });

  it('refuses a code with the wrong verifier, and a code used twice', async () => {
    const first = await consent();
    const other = await pkcePair();
    const wrong = await failure(oauth.exchangeCode(first.code, other.verifier, redirectUri));
    expect(wrong).toMatchObject({ code: 'integration_rejected', retryable: false });
    expect(wrong.message).toMatch(/authorization code/);

    const second = await consent();
    keep(await oauth.exchangeCode(second.code, second.verifier, redirectUri));
    const reused = await failure(oauth.exchangeCode(second.code, second.verifier, redirectUri));
    expect(reused).toMatchObject({ code: 'integration_rejected', retryable: false });
  });

  it('refuses a grant the user unticked Drive access on', async () => {
    google.grantOnlyNext(['https://www.googleapis.com/auth/userinfo.email']);
    const { code, verifier } = await consent();
    const error = await failure(oauth.exchangeCode(code, verifier, redirectUri));
    expect(error).toMatchObject({ code: 'integration_denied', retryable: false });
    expect(error.message).toMatch(/Google Drive was not granted/);
  });

  it('fails clearly when Google sends no refresh token', async () => {
    const { code, verifier } = await consent((url) => (url.searchParams.delete('access_type'), url));
    const error = await failure(oauth.exchangeCode(code, verifier, redirectUri));
    expect(error).toMatchObject({ code: 'integration_rejected' });
    expect(error.message).toMatch(/no refresh token/);
  });

  it('refreshes an expired access token and keeps the refresh token Google did not replace', async () => {
    const tokens = await connect();
    google.expireAccessTokens();
    expect(await failure(drive.about(tokens.accessToken))).toMatchObject({ code: 'integration_revoked' });

    const refreshed = keep(await oauth.refresh(tokens.refreshToken));
    expect(refreshed.accessToken).not.toBe(tokens.accessToken);
    expect(refreshed.refreshToken).toBe(tokens.refreshToken);
    expect(refreshed.scopes).toEqual([GOOGLE_DRIVE_FILE_SCOPE]);
    expect(await drive.about(refreshed.accessToken)).toMatchObject({ email: 'ada@example.com' });
  });

  it('revokes the whole grant: refresh then fails with integration_revoked, and revoking again is done', async () => {
    const tokens = await connect();
    await oauth.revoke(tokens.refreshToken);
    expect(google.grants).toEqual([expect.objectContaining({ revoked: true })]);
    const error = await failure(oauth.refresh(tokens.refreshToken));
    expect(error).toMatchObject({
      code: 'integration_revoked',
      retryable: false,
      message: 'The Google Drive connection was revoked or has expired; an admin must connect it again',
    });
    expect(await failure(drive.about(tokens.accessToken))).toMatchObject({ code: 'integration_revoked' });
    await expect(oauth.revoke(tokens.refreshToken)).resolves.toBeUndefined();

    // Revoking with the access token ends the grant too.
    const other = await connect();
    await oauth.revoke(other.accessToken);
    expect(await failure(oauth.refresh(other.refreshToken))).toMatchObject({ code: 'integration_revoked' });
  });

  it('reports a wrong client secret as a configuration problem, without the secret', async () => {
    const { code, verifier } = await consent();
    secrets.push('not-the-secret');
    const error = await failure(
      oauthClient({ clientSecret: 'not-the-secret' }).exchangeCode(code, verifier, redirectUri),
    );
    expect(error).toMatchObject({ code: 'integration_rejected', retryable: false });
    expect(error.message).toMatch(/client ID and secret/);
  });

  it('reports 5xx and 429 as retryable, and works again afterwards', async () => {
    const tokens = await connect();
    google.failNext(503);
    expect(await failure(oauth.refresh(tokens.refreshToken))).toMatchObject({
      code: 'integration_unavailable',
      retryable: true,
      details: { provider: 'google', status: 503 },
    });
    google.failNext(429);
    expect(await failure(oauth.revoke(tokens.refreshToken))).toMatchObject({
      code: 'integration_unavailable',
      retryable: true,
    });
    keep(await oauth.refresh(tokens.refreshToken));
  });

  it('gives up on a token endpoint that does not answer, and on one that is not there', async () => {
    const tokens = await connect();
    google.hangNext();
    const hanging = await failure(oauthClient({ timeoutMs: 300 }).refresh(tokens.refreshToken));
    expect(hanging).toMatchObject({ code: 'integration_unavailable', retryable: true });
    expect(hanging.message).toMatch(/did not answer/);

    const gone = await failure(oauthClient({ tokenUrl: 'http://127.0.0.1:9/token' }).refresh(tokens.refreshToken));
    expect(gone).toMatchObject({ code: 'integration_unavailable', retryable: true });
  });
});

describe('GoogleDrive against a Google stand-in', () => {
  const markdown =
    '# Weekly summary\n\n- Shipped the **Drive** notifier ✓\n- Résumé of open work — 3 items\n\n--\nNot a boundary.\n';

  it('creates a Google Doc from Markdown in the chosen folder', async () => {
    const tokens = await connect();
    google.addFolder('0AFolderSummaries', 'Summaries');
    const doc = await drive.createDocument(tokens.accessToken, {
      folderId: '0AFolderSummaries',
      name: 'Weekly summary 2025-06-02',
      markdown,
    });

    expect(google.files).toHaveLength(1);
    const file = google.files[0];
    expect(doc).toEqual({ id: file?.id, name: 'Weekly summary 2025-06-02', url: file?.webViewLink });
    expect(file).toMatchObject({
      name: 'Weekly summary 2025-06-02',
      parents: ['0AFolderSummaries'],
      mimeType: 'application/vnd.google-apps.document',
      mediaType: expect.stringMatching(/^text\/markdown/),
      content: markdown,
    });
    const upload = google.requests.find((r) => r.path === '/upload/drive/v3/files');
    expect(upload?.query).toEqual({
      uploadType: 'multipart',
      supportsAllDrives: 'true',
      fields: 'id,name,webViewLink',
    });
  });

  it('reports a folder that does not exist or is read-only as integration_denied', async () => {
    const tokens = await connect();
    const missing = await failure(
      drive.createDocument(tokens.accessToken, { folderId: '0AMissing', name: 'Summary', markdown }),
    );
    expect(missing).toMatchObject({ code: 'integration_denied', retryable: false, details: { status: 404 } });
    expect(missing.message).toMatch(/folder 0AMissing does not exist or was not shared/);

    google.addFolder('0AReadOnly', 'Shared with me', { canEdit: false });
    const readOnly = await failure(
      drive.createDocument(tokens.accessToken, { folderId: '0AReadOnly', name: 'Summary', markdown }),
    );
    expect(readOnly).toMatchObject({ code: 'integration_denied', details: { status: 403 } });
    expect(google.files).toEqual([]);
  });

  it(
    'fails with integration_revoked on an expired access ' + 'token or a revoked grant (the caller refreshes first)',
    async () => {
      const tokens = await connect();
      google.addFolder('0AFolder', 'Summaries');
      google.expireAccessTokens();
      const expired = await failure(
        drive.createDocument(tokens.accessToken, { folderId: '0AFolder', name: 'Summary', markdown }),
      );
      expect(expired).toMatchObject({ code: 'integration_revoked', retryable: false, details: { status: 401 } });

      const fresh = keep(await oauth.refresh(tokens.refreshToken));
      google.revokeAll();
      expect(
        await failure(drive.createDocument(fresh.accessToken, { folderId: '0AFolder', name: 'Summary', markdown })),
      ).toMatchObject({ code: 'integration_revoked' });
      expect(google.files).toEqual([]);
    },
  );

  it('reports 5xx and 429 as retryable, and works again afterwards', async () => {
    const tokens = await connect();
    google.addFolder('0AFolder', 'Summaries');
    google.failNext(500);
    expect(
      await failure(drive.createDocument(tokens.accessToken, { folderId: '0AFolder', name: 'Summary', markdown })),
    ).toMatchObject({ code: 'integration_unavailable', retryable: true });
    google.failNext(429, 2);
    expect(await failure(drive.about(tokens.accessToken))).toMatchObject({
      code: 'integration_unavailable',
      details: { status: 429 },
    });
    expect(await failure(drive.about(tokens.accessToken))).toMatchObject({ code: 'integration_unavailable' });
    await drive.createDocument(tokens.accessToken, { folderId: '0AFolder', name: 'Summary', markdown });
    expect(google.files).toHaveLength(1);
  });

  it('gives up on a Drive that does not answer', async () => {
    const tokens = await connect();
    google.addFolder('0AFolder', 'Summaries');
    google.hangNext();
    const slow = createGoogleDriveClient({ apiUrl: google.url, timeoutMs: 300 });
    const error = await failure(
      slow.createDocument(tokens.accessToken, { folderId: '0AFolder', name: 'Summary', markdown }),
    );
    expect(error).toMatchObject({ code: 'integration_unavailable', retryable: true });
    expect(error.message).toMatch(/did not answer/);
  });
});

/** A PKCE pair (RFC 7636, S256) as the OAuth library makes it: the verifier a client keeps, the challenge it sends. */
async function pkcePair(): Promise<{ verifier: string; challenge: string }> {
  const verifier = randomPKCECodeVerifier();
  return { verifier, challenge: await calculatePKCECodeChallenge(verifier) };
}
