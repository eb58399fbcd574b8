import { z } from 'zod';
import type {
  GitHubApp,
  GitHubComment,
  GitHubInstallation,
  GitHubIssueTarget,
  GitHubTokenScope,
  InstallationToken,
} from '../../ports/github.ts';
import { createAppJwtSource } from './app-jwt.ts';
import {
  because,
  expectGitHubBody,
  githubError,
  requestGitHub,
  type GitHubAnswer,
  type GitHubHttp,
} from './github-http.ts';

/** How to reach GitHub as Baton's App. */
export interface GitHubAppClientOptions {
  /** The App's id (App settings, "App ID"); the JWT's `iss`. */
  readonly appId: string;
  /** The App's private key: the PKCS#1 `.pem` GitHub gives out, or the same key as PKCS#8. Never logged. */
  readonly privateKeyPem: string;
  /** REST API base URL (default `https://api.github.com`; GitHub Enterprise Server: `https://<host>/api/v3`). */
  readonly apiUrl?: string;
  /** Timeout of every single request (default 10 000 ms). */
  readonly timeoutMs?: number;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
}

const permissions = z.record(z.string(), z.string());
const timestamp = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'not a timestamp');

/** `GET /app/installations/{id}` (the fields Baton reads; an enterprise account has `slug`, not `login`). */
const installationBody = z.object({
  id: z.number(),
  account: z
    .object({ login: z.string().optional(), slug: z.string().optional(), type: z.string().optional() })
    .nullable(),
  repository_selection: z.enum(['all', 'selected']),
  permissions,
  suspended_at: timestamp.nullable().optional(),
});

/** `POST /app/installations/{id}/access_tokens`: `repositories` is absent when none were asked for. */
const tokenBody = z.object({
  token: z.string().min(1),
  expires_at: timestamp,
  permissions: permissions.optional(),
  repositories: z.array(z.object({ name: z.string() })).optional(),
});

/** `POST /repos/{owner}/{repo}/issues/{number}/comments`. */
const commentBody = z.object({ id: z.number(), html_url: z.string() });

/**
 * `GitHubApp` over GitHub's REST API (version 2022-11-28). The App's JWT is signed with jose and kept
 * until a minute before it expires; installation tokens are the caller's to keep. Web APIs only: it runs
 * on Node and in Cloudflare Workers. Throws at once when the private key is not a usable RSA key.
 */
export function createGitHubAppClient(options: GitHubAppClientOptions): GitHubApp {
  const jwt = createAppJwtSource(options.appId, options.privateKeyPem);
  const http: GitHubHttp = {
    apiUrl: (options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
    timeoutMs: options.timeoutMs ?? 10_000,
    fetch: options.fetch ?? ((input, init) => fetch(input, init)),
  };

  /** A request as the App; a 401 drops the cached JWT so the next call signs a new one. */
  const asApp = async (method: string, path: string, doing: string, body?: unknown): Promise<GitHubAnswer> => {
    const answer = await requestGitHub(http, {
      method,
      path,
      authorization: `Bearer ${await jwt.current()}`,
      body,
      doing,
    });
    if (answer.status === 401) {
      jwt.discard();
      throw githubError(
        'integration_revoked',
        `GitHub refused the credentials of GitHub App ${options.appId} (${doing}): its private key ` +
          `may have been revoked, the App deleted, or this server's clock is off${because(answer)}`,
        { status: 401 },
      );
    }
    return answer;
  };

  return {
    async installation(installationId) {
      const doing = `looking up GitHub installation ${checkId(installationId)}`;
      const answer = await asApp('GET', `/app/installations/${installationId}`, doing);
      if (answer.status === 404 || answer.status === 403) throw installationGone(installationId, answer);
      if (answer.status !== 200) throw unexpected(answer, doing);
      return toInstallation(expectGitHubBody(installationBody, answer, doing));
    },

    async mintToken(installationId, scope) {
      const doing = `minting a token for GitHub installation ${checkId(installationId)}`;
      const answer = await asApp(
        'POST',
        `/app/installations/${installationId}/access_tokens`,
        doing,
        requestBody(scope),
      );
      if (answer.status === 404 || answer.status === 403) throw installationGone(installationId, answer);
      if (answer.status === 422) {
        throw githubError(
          'integration_rejected',
          `GitHub refused to mint a token for installation ${installationId}: the installation ` +
            `does not have every repository or permission asked for${because(answer)}`,
          { status: 422 },
        );
      }
      if (answer.status !== 201 && answer.status !== 200) throw unexpected(answer, doing);
      const minted = expectGitHubBody(tokenBody, answer, doing);
      return {
        token: minted.token,
        expiresAt: new Date(minted.expires_at),
        permissions: minted.permissions ?? {},
        repositories: minted.repositories?.map((r) => r.name) ?? null,
      } satisfies InstallationToken;
    },

    async revokeToken(token) {
      const doing = 'revoking a GitHub installation token';
      const answer = await requestGitHub(http, {
        method: 'DELETE',
        path: '/installation/token',
        authorization: `Bearer ${token}`,
        doing,
      });
      // 401: GitHub no longer knows the token (revoked before, or expired); that is what revoking wants.
      if (answer.status === 204 || answer.status === 200 || answer.status === 401 || answer.status === 404) return;
      throw unexpected(answer, doing);
    },

    async commentOnIssue(token, target, body) {
      const where = `${target.owner}/${target.repo}#${target.number}`;
      const doing = `commenting on ${where}`;
      const path =
        `/repos/${encodeURIComponent(target.owner)}/${encodeURIComponent(target.repo)}` +
        `/issues/${checkNumber(target.number)}/comments`;
      const answer = await requestGitHub(http, {
        method: 'POST',
        path,
        authorization: `Bearer ${token}`,
        body: { body },
        doing,
      });
      switch (answer.status) {
        case 201:
        case 200: {
          const comment = expectGitHubBody(commentBody, answer, doing);
          return { id: comment.id, url: comment.html_url } satisfies GitHubComment;
        }
        case 401:
          throw githubError(
            'integration_revoked',
            `GitHub refused the installation token while ${doing}: it expired ` +
              `or was revoked; the step needs a new token${because(answer)}`,
            { status: 401 },
          );
        case 403:
          throw githubError(
            'integration_denied',
            `The GitHub token may not comment on ${where}: it needs "issues: ` +
              `write" (or "pull_requests: write" for a pull request)${because(answer)}`,
            { status: 403 },
          );
        case 404:
          throw githubError('integration_denied', notReached(target), { status: 404 });
        case 410:
          throw githubError(
            'integration_denied',
            `Issues are turned off in GitHub repository ${target.owner}` +
              `/${target.repo}, so ${where} cannot be commented on`,
            { status: 410 },
          );
        default:
          throw unexpected(answer, doing);
      }
    },
  };
}

/** What a removed (404) or suspended (403) installation means for the user, whatever the call was. */
function installationGone(installationId: number, answer: GitHubAnswer): Error {
  const message =
    answer.status === 404
      ? `GitHub installation ${installationId} was removed (the App ` +
        `was uninstalled or lost access); an admin must connect it again`
      : `GitHub installation ${installationId} is suspended; an admin ` +
        `must unsuspend it on GitHub or connect it again${because(answer)}`;
  return githubError('integration_revoked', message, { status: answer.status });
}

function notReached(target: GitHubIssueTarget): string {
  return (
    `GitHub repository ${target.owner}/${target.repo} is not reachable with this ` +
    `token, or it has no issue or pull request #${target.number}: the token was ` +
    `minted for other repositories, or the installation does not include this one`
  );
}

/** The body GitHub documents: names only, and nothing for "everything the installation has". */
function requestBody(scope: GitHubTokenScope): { repositories?: string[]; permissions?: Record<string, string> } {
  if (scope.repositories !== undefined && scope.repositories.length === 0) {
    // GitHub reads a missing list as "every repository"; an empty one is almost surely a caller's slip.
    throw new Error(
      'A GitHub token scope with an empty repository list reaches ' +
        'nothing; leave `repositories` out for every repository',
    );
  }
  return {
    ...(scope.repositories === undefined ? {} : { repositories: [...scope.repositories] }),
    ...(scope.permissions === undefined ? {} : { permissions: { ...scope.permissions } }),
  };
}

function toInstallation(found: z.infer<typeof installationBody>): GitHubInstallation {
  const account = found.account ?? {};
  // An enterprise account is an Enterprise object: a `slug` and no `login` or `type`.
  const enterprise = account.login === undefined && account.slug !== undefined;
  return {
    id: found.id,
    account: { login: account.login ?? account.slug ?? '', type: account.type ?? (enterprise ? 'Enterprise' : 'User') },
    repositorySelection: found.repository_selection,
    permissions: found.permissions,
    suspendedAt: found.suspended_at == null ? null : new Date(found.suspended_at),
  };
}

/** Any other 4xx: GitHub refused the request as it was made. */
function unexpected(answer: GitHubAnswer, doing: string): Error {
  return githubError(
    'integration_rejected',
    `GitHub refused the request (${doing}: it answered ${answer.status})${because(answer)}`,
    { status: answer.status },
  );
}

function checkId(installationId: number): number {
  if (!Number.isSafeInteger(installationId) || installationId <= 0)
    throw new Error(`A GitHub installation id is a positive integer, not ${String(installationId)}`);
  return installationId;
}

function checkNumber(issueNumber: number): number {
  if (!Number.isSafeInteger(issueNumber) || issueNumber <= 0)
    throw new Error(`An issue or pull request number is a positive integer, not ${String(issueNumber)}`);
  return issueNumber;
}
