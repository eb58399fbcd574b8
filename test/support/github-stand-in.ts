import { createHash, generateKeyPairSync, randomInt } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeJwt, importSPKI, jwtVerify } from 'jose';
import { serveStandIn } from './stand-in-server.ts';

/**
 * A local stand-in for the part of GitHub's REST API a GitHub App uses (GitHub's "REST API endpoints for
 * GitHub Apps", "Installations" and "Issue comments"), in memory, with GitHub's JSON request and response
 * shapes and error bodies (`{ message, documentation_url, status }`). It has one App with a freshly
 * generated RSA key, checks the App JWT as GitHub documents it, and keeps installations, tokens and
 * comments so tests can look at what happened.
 */

/** A repository of an installation's account. */
export interface StandInRepository {
  readonly id: number;
  readonly name: string;
  readonly full_name: string;
}

/** An installation as the stand-in keeps it. */
export interface StandInInstallation {
  readonly id: number;
  readonly account: { readonly login: string; readonly type: 'User' | 'Organization' };
  /** The repositories the installation reaches. */
  readonly repositories: StandInRepository[];
  readonly permissions: Record<string, string>;
  readonly repositorySelection: 'all' | 'selected';
  suspendedAt: string | null;
}

/** What a minted token reaches; `repositories` null: all of the installation's. */
export interface StandInScope {
  readonly installationId: number;
  readonly repositories: readonly string[] | null;
  readonly permissions: Readonly<Record<string, string>>;
}

/** A minted installation token. */
export interface StandInToken extends StandInScope {
  readonly token: string;
  expiresAt: Date;
  /** Revoked with `DELETE /installation/token`. */
  revoked: boolean;
}

/** A comment that was posted, with the scope of the token that posted it. */
export interface StandInComment {
  readonly id: number;
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
  readonly body: string;
  readonly scope: StandInScope;
}

/** A request as received. `authorization` is not kept; `auth` says what it carried instead. */
export interface StandInRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly auth: {
    readonly scheme: 'Bearer' | 'token' | null;
    /** A short hash of the credential: equal hashes mean the same JWT or token was sent again. */
    readonly fingerprint: string | null;
    /** The claims of an App JWT (readable by anyone; not a secret). */
    readonly claims?: { readonly iss?: string; readonly iat?: number; readonly exp?: number };
  };
  readonly body: unknown;
}

/** The running stand-in and its controls. */
export interface GitHubStandIn {
  readonly url: string;
  readonly appId: string;
  readonly appSlug: string;
  /** The App's key as GitHub's download gives it: PKCS#1 PEM (`-----BEGIN RSA PRIVATE KEY-----`). */
  readonly privateKeyPem: string;
  readonly comments: StandInComment[];
  readonly tokens: StandInToken[];
  readonly requests: StandInRequest[];
  /** Installs the App on an account; `repositorySelection` defaults to `selected`. */
  addInstallation(installation: {
    id: number;
    account: { login: string; type?: 'User' | 'Organization' };
    repositories: string[];
    permissions: Record<string, string>;
    repositorySelection?: 'all' | 'selected';
  }): void;
  /** An admin suspends it: GET still answers (with `suspended_at`), tokens are refused (403) and stop working. */
  suspend(id: number): void;
  /** The App is uninstalled: 404 for the installation, its tokens stop working. */
  remove(id: number): void;
  /** Every token minted so far expires now. */
  expireTokens(): void;
  /** The next `times` requests answer `status` with GitHub's error body (and these headers). */
  failNext(status: number, times?: number, headers?: Record<string, string>): void;
  /** The next `times` requests are never answered (until `close`). */
  hangNext(times?: number): void;
  close(): Promise<void>;
}

const docs = {
  installation: 'https://docs.github.com/rest/apps/apps#get-an-installation-for-the-authenticated-app',
  token: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app',
  revoke: 'https://docs.github.com/rest/apps/installations#revoke-an-installation-access-token',
  comment: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
  rest: 'https://docs.github.com/rest',
};
const levels: Readonly<Record<string, number>> = { read: 1, write: 2, admin: 3 };
const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const githubTime = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const fingerprint = (credential: string): string => createHash('sha256').update(credential).digest('hex').slice(0, 12);

/** Thrown inside a handler to answer with GitHub's error shape. */
class Answer extends Error {
  readonly status: number;
  readonly documentation: string;
  constructor(status: number, message: string, documentation: string) {
    super(message);
    this.status = status;
    this.documentation = documentation;
  }
}

/** Starts the stand-in on a free port of 127.0.0.1. */
export async function startGitHubStandIn(): Promise<GitHubStandIn> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const verifyKey = await importSPKI(publicKey, 'RS256');
  const appId = String(randomInt(100_000, 999_999));
  const appSlug = 'baton-stand-in';
  const installations = new Map<number, StandInInstallation>();
  const hanging = new Set<ServerResponse>();
  let nextId = 1_000_000_000;
  let failures: { status: number; times: number; headers: Record<string, string> } | undefined;
  let hangs = 0;

  const standIn: GitHubStandIn = {
    url: '',
    appId,
    appSlug,
    privateKeyPem: privateKey,
    comments: [],
    tokens: [],
    requests: [],
    addInstallation(input) {
      const login = input.account.login;
      const repositories = input.repositories.map((name) => ({
        id: (nextId += 1),
        name,
        full_name: `${login}/${name}`,
      }));
      installations.set(input.id, {
        id: input.id,
        account: { login, type: input.account.type ?? 'Organization' },
        repositories,
        permissions: { ...input.permissions },
        repositorySelection: input.repositorySelection ?? 'selected',
        suspendedAt: null,
      });
    },
    suspend(id) {
      const installation = installations.get(id);
      if (installation !== undefined) installation.suspendedAt = githubTime(new Date());
    },
    remove: (id) => void installations.delete(id),
    expireTokens() {
      for (const token of standIn.tokens) token.expiresAt = new Date(Date.now() - 1000);
    },
    failNext: (status, times = 1, headers = {}) => void (failures = { status, times, headers }),
    hangNext: (times = 1) => void (hangs = times),
    close: async () => {
      for (const response of hanging) response.destroy();
      await server.close();
    },
  };

  /** The App JWT on `/app/*`, checked as GitHub documents it (RS256, `iss`, `exp` ≤ 10 min ahead, not expired). */
  async function requireAppJwt(credential: string | undefined): Promise<void> {
    if (credential === undefined) throw new Answer(401, 'A JSON web token could not be decoded', docs.rest);
    let payload;
    try {
      ({ payload } = await jwtVerify(credential, verifyKey, { algorithms: ['RS256'] }));
    } catch (error) {
      const expired = error instanceof Error && 'code' in error && error.code === 'ERR_JWT_EXPIRED';
      if (expired)
        throw new Answer(
          401,
          "'Expiration time' claim ('exp') must be a numeric value " +
            'representing the future time at which the assertion expires',
          docs.rest,
        );
      throw new Answer(401, 'A JSON web token could not be decoded', docs.rest);
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.exp !== 'number')
      throw new Answer(
        401,
        "'Expiration time' claim ('exp') must be a numeric value " +
          'representing the future time at which the assertion expires',
        docs.rest,
      );
    if (payload.exp - now > 600)
      throw new Answer(401, "'Expiration time' claim ('exp') is too far in the future", docs.rest);
    if (typeof payload.iat !== 'number' || payload.iat > now)
      throw new Answer(
        401,
        "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        docs.rest,
      );
    if (payload.iss !== appId) throw new Answer(401, "'Issuer' claim ('iss') must be an Integer", docs.rest);
  }

  /** An installation token that works: known, not revoked or expired, its installation active. */
  function requireToken(credential: string | undefined): StandInToken {
    const token = standIn.tokens.find((t) => t.token === credential);
    const installation = token === undefined ? undefined : installations.get(token.installationId);
    if (
      token === undefined ||
      token.revoked ||
      token.expiresAt.getTime() <= Date.now() ||
      installation === undefined ||
      installation.suspendedAt !== null
    ) {
      throw new Answer(401, 'Bad credentials', docs.rest);
    }
    return token;
  }

  function installationOf(id: string): StandInInstallation {
    const installation = installations.get(Number(id));
    if (installation === undefined) throw new Answer(404, 'Not Found', docs.installation);
    return installation;
  }

  function installationJson(i: StandInInstallation): unknown {
    return {
      id: i.id,
      account: {
        login: i.account.login,
        id: i.id + 1,
        type: i.account.type,
        site_admin: false,
        html_url: `https://github.com/${i.account.login}`,
      },
      repository_selection: i.repositorySelection,
      access_tokens_url: `${standIn.url}/app/installations/${i.id}/access_tokens`,
      repositories_url: `${standIn.url}/installation/repositories`,
      html_url: `https://github.com/organizations/${i.account.login}/settings/installations/${i.id}`,
      app_id: Number(appId),
      app_slug: appSlug,
      target_id: i.id + 1,
      target_type: i.account.type,
      permissions: i.permissions,
      events: ['issues', 'issue_comment', 'pull_request', 'push'],
      created_at: '2024-01-05T10:00:00Z',
      updated_at: '2024-01-05T10:00:00Z',
      single_file_name: null,
      suspended_by: i.suspendedAt === null ? null : { login: i.account.login, type: 'User' },
      suspended_at: i.suspendedAt,
    };
  }

  function mint(installation: StandInInstallation, body: unknown): { status: number; json: unknown } {
    if (installation.suspendedAt !== null) throw new Answer(403, 'This installation has been suspended', docs.token);
    const input = (body ?? {}) as { repositories?: unknown; permissions?: unknown };
    let repositories: StandInRepository[] | null = null;
    if (input.repositories !== undefined) {
      if (!Array.isArray(input.repositories) || !input.repositories.every((r) => typeof r === 'string')) {
        throw new Answer(
          422,
          "Invalid request.\n\nFor 'properties/repositories', is not an array of strings.",
          docs.token,
        );
      }
      const names = input.repositories;
      const chosen = installation.repositories.filter((r) => names.includes(r.name));
      if (chosen.length !== new Set(names).size) {
        throw new Answer(
          422,
          'There is at least one repository that does not exist or is not accessible to the parent installation.',
          docs.token,
        );
      }
      repositories = chosen;
    }
    let permissions = installation.permissions;
    if (input.permissions !== undefined) {
      const asked = (input.permissions ?? {}) as Record<string, unknown>;
      for (const [name, level] of Object.entries(asked)) {
        const granted = levels[installation.permissions[name] ?? ''] ?? 0;
        if (typeof level !== 'string' || levels[level] === undefined || levels[level] > granted) {
          throw new Answer(422, 'The permissions requested are not granted to this installation.', docs.token);
        }
      }
      permissions = asked as Record<string, string>;
    }
    let secret = 'ghs_';
    for (let i = 0; i < 36; i += 1) secret += base62[randomInt(base62.length)];
    const token: StandInToken = {
      token: secret,
      installationId: installation.id,
      repositories: repositories?.map((r) => r.name) ?? null,
      permissions: { ...permissions },
      expiresAt: new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_000),
      revoked: false,
    };
    standIn.tokens.push(token);
    return {
      status: 201,
      json: {
        token: secret,
        expires_at: githubTime(token.expiresAt),
        permissions: token.permissions,
        repository_selection: repositories === null ? installation.repositorySelection : 'selected',
        // As GitHub: the key is there only when repositories were asked for.
        ...(repositories === null
          ? {}
          : {
              repositories: repositories.map((r) => ({
                ...r,
                private: true,
                owner: { login: installation.account.login },
              })),
            }),
      },
    };
  }

  function comment(
    token: StandInToken,
    owner: string,
    repo: string,
    issueNumber: number,
    body: unknown,
  ): { status: number; json: unknown } {
    const installation = installations.get(token.installationId);
    const repository = installation?.repositories.find(
      (r) => r.full_name.toLowerCase() === `${owner}/${repo}`.toLowerCase(),
    );
    // GitHub answers 404, not 403, for a repository a token does not reach: it does not say that it exists.
    if (repository === undefined || (token.repositories !== null && !token.repositories.includes(repository.name))) {
      throw new Answer(404, 'Not Found', docs.comment);
    }
    if (token.permissions.issues !== 'write' && token.permissions.pull_requests !== 'write') {
      throw new Answer(403, 'Resource not accessible by integration', docs.comment);
    }
    const text = (body as { body?: unknown } | undefined)?.body;
    if (typeof text !== 'string' || text === '')
      throw new Answer(422, 'Invalid request.\n\n"body" wasn\'t supplied.', docs.comment);
    const id = (nextId += 1);
    standIn.comments.push({
      id,
      owner,
      repo,
      number: issueNumber,
      body: text,
      scope: { installationId: token.installationId, repositories: token.repositories, permissions: token.permissions },
    });
    const now = githubTime(new Date());
    const issueUrl = `${standIn.url}/repos/${repository.full_name}/issues/${issueNumber}`;
    return {
      status: 201,
      json: {
        id,
        node_id: `IC_${Buffer.from(String(id)).toString('base64url')}`,
        url: `${standIn.url}/repos/${repository.full_name}/issues/comments/${id}`,
        html_url: `https://github.com/${repository.full_name}/issues/${issueNumber}#issuecomment-${id}`,
        issue_url: issueUrl,
        body: text,
        user: { login: `${appSlug}[bot]`, id: Number(appId) + 1, type: 'Bot', site_admin: false },
        author_association: 'NONE',
        created_at: now,
        updated_at: now,
      },
    };
  }

  async function route(
    method: string,
    path: string,
    credential: string | undefined,
    body: unknown,
  ): Promise<{ status: number; json?: unknown }> {
    let match: RegExpExecArray | null;
    if ((match = /^\/app\/installations\/(\d+)(\/access_tokens)?$/.exec(path)) !== null) {
      await requireAppJwt(credential);
      const installation = installationOf(match[1] ?? '');
      if (match[2] === undefined && method === 'GET') return { status: 200, json: installationJson(installation) };
      if (match[2] !== undefined && method === 'POST') return mint(installation, body);
    } else if (path === '/installation/token' && method === 'DELETE') {
      requireToken(credential).revoked = true;
      return { status: 204 };
    } else if (
      (match = /^\/repos\/([^/]+)\/([^/]+)\/issues\/(\d+)\/comments$/.exec(path)) !== null &&
      method === 'POST'
    ) {
      const [, owner = '', repo = '', issueNumber = ''] = match;
      return comment(
        requireToken(credential),
        decodeURIComponent(owner),
        decodeURIComponent(repo),
        Number(issueNumber),
        body,
      );
    }
    throw new Answer(404, 'Not Found', docs.rest);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const send = (status: number, json?: unknown, extra: Record<string, string> = {}): void => {
      const headers = {
        'content-type': 'application/json; charset=utf-8',
        'x-github-api-version-selected': '2022-11-28',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
        'x-ratelimit-resource': 'core',
        ...extra,
      };
      response.writeHead(status, headers).end(json === undefined ? undefined : JSON.stringify(json));
    };
    const url = new URL(request.url ?? '/', 'http://stand-in');
    let text = '';
    for await (const chunk of request) text += String(chunk);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      return send(400, { message: 'Problems parsing JSON', documentation_url: docs.rest, status: '400' });
    }
    const [scheme, credential] = (request.headers.authorization ?? '').split(' ', 2);
    const known = scheme === 'Bearer' || scheme === 'token' ? scheme : null;
    const headers = Object.fromEntries(
      Object.entries(request.headers)
        .filter(([name]) => name !== 'authorization' && name !== 'cookie')
        .map(([name, value]) => [name, String(value)]),
    );
    let claims: StandInRequest['auth']['claims'];
    try {
      const decoded =
        known === 'Bearer' && credential !== undefined && credential.split('.').length === 3
          ? decodeJwt(credential)
          : undefined;
      claims = decoded === undefined ? undefined : { iss: decoded.iss, iat: decoded.iat, exp: decoded.exp };
    } catch {
      claims = undefined;
    }
    standIn.requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      headers,
      auth: {
        scheme: known,
        fingerprint: credential === undefined ? null : fingerprint(credential),
        ...(claims === undefined ? {} : { claims }),
      },
      body,
    });

    if (hangs > 0) {
      hangs -= 1;
      hanging.add(response);
      return;
    }
    if (failures !== undefined && failures.times > 0) {
      const { status, headers: extra } = failures;
      failures.times -= 1;
      const limited = status === 429 || 'retry-after' in extra || extra['x-ratelimit-remaining'] === '0';
      const message = limited
        ? 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'
        : status >= 500
          ? 'Server Error'
          : 'Failure';
      return send(status, { message, documentation_url: docs.rest, status: String(status) }, extra);
    }
    try {
      const answer = await route(request.method ?? 'GET', url.pathname, known === null ? undefined : credential, body);
      send(answer.status, answer.json);
    } catch (error) {
      if (!(error instanceof Answer)) throw error;
      send(error.status, {
        message: error.message,
        documentation_url: error.documentation,
        status: String(error.status),
      });
    }
  }

  const server = await serveStandIn(handle, 'message');
  return Object.assign(standIn, { url: server.url });
}
