import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveStandIn } from './stand-in-server.ts';

/**
 * A local stand-in for the parts of Google that the Google clients use: the OAuth 2.0 authorization
 * endpoint (consent is given at once, as if the user clicked Allow), the token and revoke endpoints, and
 * Drive v3 `about.get` and multipart `files.create`, with the request and answer shapes of Google's
 * docs, in memory. One OAuth client, one Google account. It records requests without their secrets.
 */

/** A grant as the stand-in keeps it: what one code exchange created (tokens are not exposed). */
export interface StandInGrant {
  readonly id: string;
  readonly email: string;
  readonly scopes: readonly string[];
  /** Whether a refresh token was issued (`access_type=offline`). */
  readonly offline: boolean;
  readonly revoked: boolean;
}

/** A file created through the upload endpoint. */
export interface StandInFile {
  readonly id: string;
  readonly name: string;
  /** The Drive type, e.g. `application/vnd.google-apps.document` after conversion. */
  readonly mimeType: string;
  /** The media part's content type, e.g. `text/markdown; charset=UTF-8`. */
  readonly mediaType: string;
  readonly parents: readonly string[];
  /** The media part as text. */
  readonly content: string;
  readonly webViewLink: string;
}

/** A request as received, with codes, verifiers, tokens and secrets replaced by `[redacted]`. */
export interface RecordedGoogleRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The form fields of an `application/x-www-form-urlencoded` body. */
  readonly form: Readonly<Record<string, string>>;
  /** How the client authenticated at the token or revoke endpoint. */
  readonly clientAuth: 'client_secret_post' | 'client_secret_basic' | 'none';
  readonly bearer: boolean;
}

/** The running stand-in and its knobs. */
export interface GoogleStandIn {
  readonly url: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly requests: RecordedGoogleRequest[];
  readonly files: StandInFile[];
  /** Every grant so far, oldest first (a snapshot). */
  readonly grants: StandInGrant[];
  /** Registers a redirect URI with the OAuth client (Google refuses unregistered ones). */
  register(redirectUri: string): void;
  /** A folder the account can see (as one picked for Baton); `canEdit: false` makes it read-only. */
  addFolder(id: string, name: string, options?: { canEdit?: boolean }): void;
  /** Every access token issued so far stops working (refresh tokens keep working). */
  expireAccessTokens(): void;
  /** The user removes Baton's access in their Google account: every grant is revoked. */
  revokeAll(): void;
  /** The next consent is refused: the redirect carries `error=access_denied`. */
  denyNext(): void;
  /** The next consent grants only these scopes (the user unticked the others). */
  grantOnlyNext(scopes: string[]): void;
  /** The next `times` requests (any endpoint) answer with this status and Google's error body. */
  failNext(status: number, times?: number): void;
  /** The next `times` requests are never answered. */
  hangNext(times?: number): void;
  close(): Promise<void>;
}

const DRIVE_FILE = 'https://www.googleapis.com/auth/drive.file';
const DRIVE = 'https://www.googleapis.com/auth/drive';
const KNOWN_SCOPES = new Set([
  DRIVE_FILE,
  DRIVE,
  'openid',
  'email',
  'profile',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
]);
const GOOGLE_DOC = 'application/vnd.google-apps.document';
const DOC_SOURCES = new Set([
  'text/plain',
  'text/html',
  'text/markdown',
  'application/rtf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
]);
const SECRETS = new Set(['code', 'code_verifier', 'client_secret', 'refresh_token', 'token', 'access_token']);
const CODE_LIFETIME_MS = 10 * 60_000;

interface Grant extends StandInGrant {
  revoked: boolean;
  readonly refreshToken: string | undefined;
}
interface Code {
  readonly redirectUri: string;
  readonly challenge: string;
  readonly scopes: string[];
  readonly offline: boolean;
  readonly consent: boolean;
  readonly expiresAt: number;
  used: boolean;
}

const random = (bytes: number): string => randomBytes(bytes).toString('base64url');
const s256 = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');
const redact = (params: URLSearchParams): Record<string, string> =>
  Object.fromEntries([...params].map(([key, value]) => [key, SECRETS.has(key) ? '[redacted]' : value]));

/** Drive's error body: `{ error: { code, message, errors: [{ message, domain, reason, … }], status } }`. */
function driveError(code: number, message: string, reason: string, extra: Record<string, string> = {}): unknown {
  const status =
    (
      {
        400: 'INVALID_ARGUMENT',
        401: 'UNAUTHENTICATED',
        403: 'PERMISSION_DENIED',
        404: 'NOT_FOUND',
        429: 'RESOURCE_EXHAUSTED',
      } as Record<number, string>
    )[code] ?? 'UNAVAILABLE';
  return { error: { code, message, errors: [{ message, domain: 'global', reason, ...extra }], status } };
}

/** Starts the stand-in on a free local port. `accessTokenSeconds`: the `expires_in` of access tokens (default 3599). */
export async function startGoogleStandIn(
  options: { accessTokenSeconds?: number; user?: { email: string; displayName: string } } = {},
): Promise<GoogleStandIn> {
  const user = options.user ?? { email: 'ada@example.com', displayName: 'Ada Lovelace' };
  const lifetime = options.accessTokenSeconds ?? 3599;
  const clientId = `${randomBytes(6).readUIntBE(0, 6)}-${random(12)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}.apps.googleusercontent.com`;
  const clientSecret = `GOCSPX-${random(21)}`;
  const redirectUris = new Set<string>();
  const codes = new Map<string, Code>();
  const grants: Grant[] = [];
  const accessTokens = new Map<string, { grant: Grant; expiresAt: number }>();
  const folders = new Map<string, { name: string; canEdit: boolean }>();
  const files: StandInFile[] = [];
  const requests: RecordedGoogleRequest[] = [];
  let deny = false;
  let onlyScopes: string[] | undefined;
  let failures: { status: number; times: number } | undefined;
  let hangs = 0;

  const issueAccessToken = (grant: Grant): string => {
    const token = `ya29.${random(48)}`;
    accessTokens.set(token, { grant, expiresAt: Date.now() + lifetime * 1000 });
    return token;
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://stand-in');
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const contentType = request.headers['content-type'] ?? '';
    const form = new URLSearchParams(contentType.startsWith('application/x-www-form-urlencoded') ? raw : '');
    const authorization = request.headers.authorization ?? '';
    const isDrive = url.pathname.startsWith('/drive/') || url.pathname.startsWith('/upload/');
    requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: redact(url.searchParams),
      form: redact(form),
      clientAuth: authorization.startsWith('Basic ')
        ? 'client_secret_basic'
        : form.has('client_secret')
          ? 'client_secret_post'
          : 'none',
      bearer: authorization.startsWith('Bearer '),
    });

    const json = (status: number, body: unknown, headers: Record<string, string> = {}): void =>
      void response
        .writeHead(status, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-cache, no-store, max-age=0, must-revalidate',
          ...headers,
        })
        .end(JSON.stringify(body));
    const page = (status: number, error: string): void =>
      void response
        .writeHead(status, { 'content-type': 'text/html; charset=utf-8' })
        .end(`<html><body><h1>Access blocked: Authorization Error</h1><p>Error ${status}: ${error}</p></body></html>`);

    if (hangs > 0) return void (hangs -= 1); // the connection stays open until close()
    if (failures !== undefined) {
      const { status } = failures;
      failures.times -= 1;
      if (failures.times <= 0) failures = undefined;
      if (isDrive)
        return json(
          status,
          driveError(
            status,
            status === 429 ? 'Rate Limit Exceeded' : 'Backend Error',
            status === 429 ? 'rateLimitExceeded' : 'backendError',
          ),
        );
      return json(status, {
        error: status === 429 ? 'rate_limit_exceeded' : 'internal_failure',
        error_description: 'The service is currently unavailable.',
      });
    }

    const route = `${request.method} ${url.pathname}`;
    if (route === 'GET /o/oauth2/v2/auth') return authorize(url.searchParams, response, page);
    if (route === 'POST /token') return token(form, authorization, json);
    if (route === 'POST /revoke') {
      const value = form.get('token') ?? url.searchParams.get('token') ?? '';
      const access = accessTokens.get(value);
      const grant =
        grants.find((g) => g.refreshToken !== undefined && g.refreshToken === value) ??
        (access !== undefined && access.expiresAt > Date.now() ? access.grant : undefined);
      if (grant === undefined || grant.revoked)
        return json(400, { error: 'invalid_token', error_description: 'Token expired or revoked' });
      grant.revoked = true;
      return json(200, {});
    }
    if (!isDrive) return json(404, { error: 'not_found' });

    // Drive: every call needs a live access token of a grant that holds a Drive scope.
    if (!authorization.startsWith('Bearer ')) {
      return json(
        401,
        driveError(
          401,
          'Request is missing required authentication credential. Expected OAuth ' +
            '2 access token, login cookie or other valid authentication credential.',
          'required',
          { location: 'Authorization', locationType: 'header' },
        ),
      );
    }
    const access = accessTokens.get(authorization.slice(7));
    if (access === undefined || access.expiresAt <= Date.now() || access.grant.revoked) {
      return json(
        401,
        driveError(
          401,
          'Request had invalid authentication credentials. Expected OAuth 2 ' +
            'access token, login cookie or other valid authentication credential.',
          'authError',
          { location: 'Authorization', locationType: 'header' },
        ),
        { 'www-authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      );
    }
    if (!access.grant.scopes.includes(DRIVE_FILE) && !access.grant.scopes.includes(DRIVE)) {
      return json(403, driveError(403, 'Request had insufficient authentication scopes.', 'insufficientPermissions'), {
        'www-authenticate':
          `Bearer realm="https://accounts.google.com/", ` + `error="insufficient_scope", scope="${DRIVE_FILE}"`,
      });
    }
    if (route === 'GET /drive/v3/about') {
      const fields = url.searchParams.get('fields');
      if (fields === null)
        return json(
          400,
          driveError(400, "The 'fields' parameter is required for this method.", 'required', {
            location: 'fields',
            locationType: 'parameter',
          }),
        );
      const full: Record<string, unknown> = {
        kind: 'drive#user',
        displayName: user.displayName,
        emailAddress: user.email,
        me: true,
        permissionId: '01234567890123456789',
      };
      const wanted =
        /user\(([^)]*)\)/.exec(fields)?.[1]?.split(',') ??
        (fields.split(',').includes('user') ? Object.keys(full) : []);
      return json(200, wanted.length === 0 ? {} : { user: Object.fromEntries(wanted.map((key) => [key, full[key]])) });
    }
    if (route === 'POST /upload/drive/v3/files') return upload(url.searchParams, contentType, raw, json);
    return json(404, driveError(404, 'Not Found', 'notFound'));
  }

  function authorize(
    query: URLSearchParams,
    response: ServerResponse,
    page: (status: number, error: string) => void,
  ): void {
    if (query.get('client_id') !== clientId) return page(401, 'invalid_client');
    const redirectUri = query.get('redirect_uri') ?? '';
    if (!redirectUris.has(redirectUri)) return page(400, 'redirect_uri_mismatch');
    if (query.get('response_type') !== 'code') return page(400, 'unsupported_response_type');
    const challenge = query.get('code_challenge') ?? '';
    if (query.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43,128}$/.test(challenge))
      return page(400, 'invalid_request');
    const requested = (query.get('scope') ?? '').split(' ').filter((s) => s !== '');
    if (requested.length === 0 || requested.some((s) => !KNOWN_SCOPES.has(s))) return page(400, 'invalid_scope');

    const target = new URL(redirectUri);
    target.searchParams.set('state', query.get('state') ?? '');
    if (deny) {
      deny = false;
      target.searchParams.set('error', 'access_denied');
    } else {
      const earlier =
        query.get('include_granted_scopes') === 'true' ? grants.filter((g) => !g.revoked).flatMap((g) => g.scopes) : [];
      const scopes = [...new Set([...(onlyScopes ?? requested), ...earlier])];
      onlyScopes = undefined;
      const code = `4/0${random(54)}`;
      codes.set(code, {
        redirectUri,
        challenge,
        scopes,
        used: false,
        expiresAt: Date.now() + CODE_LIFETIME_MS,
        offline: query.get('access_type') === 'offline',
        consent: (query.get('prompt') ?? '').split(' ').includes('consent'),
      });
      target.searchParams.set('code', code);
      target.searchParams.set('scope', scopes.join(' '));
    }
    response.writeHead(302, { location: target.href }).end();
  }

  function token(form: URLSearchParams, authorization: string, json: (status: number, body: unknown) => void): void {
    let id = form.get('client_id');
    let secret = form.get('client_secret');
    if (authorization.startsWith('Basic ')) {
      // RFC 6749 §2.3.1: both parts are form-urlencoded before the base64.
      const [user = '', password = ''] = Buffer.from(authorization.slice(6), 'base64').toString('utf8').split(':');
      [id, secret] = [decodeURIComponent(user.replace(/\+/g, ' ')), decodeURIComponent(password.replace(/\+/g, ' '))];
    }
    if (id === null)
      return json(400, { error: 'invalid_request', error_description: 'Could not determine client ID from request.' });
    if (id !== clientId)
      return json(401, { error: 'invalid_client', error_description: 'The OAuth client was not found.' });
    if (secret !== clientSecret) return json(401, { error: 'invalid_client', error_description: 'Unauthorized' });

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      if (code === undefined) return json(400, { error: 'invalid_grant', error_description: 'Malformed auth code.' });
      const usable = !code.used && code.expiresAt > Date.now();
      code.used = true; // single use, whatever the outcome
      if (!usable) return json(400, { error: 'invalid_grant', error_description: 'Bad Request' });
      if (form.get('redirect_uri') !== code.redirectUri)
        return json(400, { error: 'redirect_uri_mismatch', error_description: 'Bad Request' });
      const verifier = form.get('code_verifier');
      if (verifier === null) return json(400, { error: 'invalid_grant', error_description: 'Missing code verifier.' });
      if (s256(verifier) !== code.challenge)
        return json(400, { error: 'invalid_grant', error_description: 'Invalid code verifier.' });
      // Google sends a refresh token for offline access on a forced consent, or on the account's first one.
      const refresh = code.offline && (code.consent || !grants.some((g) => g.offline && !g.revoked));
      const grant: Grant = {
        id: `grant-${grants.length + 1}`,
        email: user.email,
        scopes: code.scopes,
        offline: refresh,
        revoked: false,
        refreshToken: refresh ? `1//0${random(72)}` : undefined,
      };
      grants.push(grant);
      return json(200, {
        access_token: issueAccessToken(grant),
        expires_in: lifetime,
        ...(grant.refreshToken === undefined ? {} : { refresh_token: grant.refreshToken }),
        scope: grant.scopes.join(' '),
        token_type: 'Bearer',
      });
    }
    if (grantType === 'refresh_token') {
      const value = form.get('refresh_token') ?? '';
      const grant = grants.find((g) => g.refreshToken !== undefined && g.refreshToken === value);
      if (grant === undefined || grant.revoked)
        return json(400, { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' });
      return json(200, {
        access_token: issueAccessToken(grant),
        expires_in: lifetime,
        scope: grant.scopes.join(' '),
        token_type: 'Bearer',
      });
    }
    return json(400, { error: 'unsupported_grant_type', error_description: `Invalid grant_type: ${grantType ?? ''}` });
  }

  function upload(
    query: URLSearchParams,
    contentType: string,
    raw: string,
    json: (status: number, body: unknown) => void,
  ): void {
    if (query.get('uploadType') !== 'multipart')
      return json(
        400,
        driveError(400, 'Invalid uploadType.', 'invalid', { location: 'uploadType', locationType: 'parameter' }),
      );
    const boundary = /^multipart\/related;\s*boundary="?([^";]+)"?/i.exec(contentType)?.[1];
    if (boundary === undefined)
      return json(400, driveError(400, 'Bad content type. Please use multipart.', 'badContent'));
    const parts = raw
      .split(`--${boundary}`)
      .slice(1, -1)
      .map((part) => {
        const [head = '', ...rest] = part.replace(/^\r\n/, '').split('\r\n\r\n');
        const type = /^content-type:\s*(.+)$/im.exec(head)?.[1]?.trim() ?? 'application/octet-stream';
        return { type, body: rest.join('\r\n\r\n').replace(/\r\n$/, '') };
      });
    const [meta, media] = parts;
    if (parts.length !== 2 || meta === undefined || media === undefined || !meta.type.startsWith('application/json')) {
      return json(
        400,
        driveError(400, 'Multipart body must have a JSON metadata part and a media part.', 'badContent'),
      );
    }
    let metadata: { name?: unknown; parents?: unknown; mimeType?: unknown };
    try {
      metadata = JSON.parse(meta.body) as typeof metadata;
    } catch {
      return json(400, driveError(400, 'Invalid JSON payload received.', 'parseError'));
    }
    const parents = Array.isArray(metadata.parents) ? metadata.parents.map(String) : ['root'];
    for (const parent of parents) {
      const folder = parent === 'root' ? { canEdit: true } : folders.get(parent);
      if (folder === undefined)
        return json(
          404,
          driveError(404, `File not found: ${parent}.`, 'notFound', { location: 'fileId', locationType: 'parameter' }),
        );
      if (!folder.canEdit)
        return json(
          403,
          driveError(403, 'Insufficient permissions for the specified parent.', 'insufficientParentPermissions'),
        );
    }
    const mediaType = media.type.split(';')[0]?.trim() ?? '';
    const mimeType = typeof metadata.mimeType === 'string' ? metadata.mimeType : mediaType;
    if (mimeType === GOOGLE_DOC && !DOC_SOURCES.has(mediaType)) {
      return json(
        400,
        driveError(
          400,
          'Conversion of the uploaded content to the requested output type is not supported.',
          'badContent',
        ),
      );
    }
    const id = `1${random(24).slice(0, 32)}`;
    const webViewLink =
      mimeType === GOOGLE_DOC
        ? `https://docs.google.com/document/d/${id}/edit?usp=drivesdk`
        : `https://drive.google.com/file/d/${id}/view?usp=drivesdk`;
    const file: StandInFile = {
      id,
      name: typeof metadata.name === 'string' ? metadata.name : 'Untitled',
      mimeType,
      mediaType: media.type,
      parents,
      content: media.body,
      webViewLink,
    };
    files.push(file);
    const full: Record<string, unknown> = { kind: 'drive#file', ...file };
    const fields = query
      .get('fields')
      ?.split(',')
      .map((f) => f.trim()) ?? ['kind', 'id', 'name', 'mimeType'];
    return json(200, Object.fromEntries(fields.filter((f) => f in full).map((f) => [f, full[f]])));
  }

  const server = await serveStandIn(handle, 'error');

  return {
    url: server.url,
    clientId,
    clientSecret,
    requests,
    files,
    get grants() {
      return grants.map(({ id, email, scopes, offline, revoked }) => ({
        id,
        email,
        scopes: [...scopes],
        offline,
        revoked,
      }));
    },
    register: (redirectUri) => void redirectUris.add(redirectUri),
    addFolder: (id, name, folderOptions = {}) => void folders.set(id, { name, canEdit: folderOptions.canEdit ?? true }),
    expireAccessTokens: () => {
      for (const access of accessTokens.values()) access.expiresAt = 0;
    },
    revokeAll: () => {
      for (const grant of grants) grant.revoked = true;
    },
    denyNext: () => void (deny = true),
    grantOnlyNext: (scopes) => void (onlyScopes = scopes),
    failNext: (status, times = 1) => void (failures = { status, times }),
    hangNext: (times = 1) => void (hangs = times),
    close: async () => {
      await server.close();
    },
  };
}
