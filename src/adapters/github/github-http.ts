import type { z } from 'zod';
import { IntegrationError, type IntegrationErrorCode } from '../../domain/integrations/errors.ts';
import { exchange, NoAnswerError, type ExchangeAnswer } from '../http-common/exchange.ts';

/**
 * One request to GitHub's REST API, with what every endpoint shares: GitHub's headers, a timeout, and
 * the failures that mean "not now" (network, timeout, 5xx, rate limits) turned into a retryable
 * `integration_unavailable`. What a 4xx means depends on the endpoint; the client decides that.
 */

/** Where and how requests go. */
export interface GitHubHttp {
  /** Base URL without a trailing slash, e.g. `https://api.github.com`. */
  readonly apiUrl: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
}

/** One call: `doing` names it in messages ("minting a token for GitHub installation 123"). */
export interface GitHubRequest {
  readonly method: string;
  readonly path: string;
  /** `Bearer <app JWT or installation token>`; never part of any message. */
  readonly authorization: string;
  readonly body?: unknown;
  readonly doing: string;
}

/** An answer below 500 that is not a rate limit, its body parsed as JSON (undefined when empty or not JSON). */
export interface GitHubAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** An `IntegrationError` from GitHub. */
export function githubError(
  code: IntegrationErrorCode,
  message: string,
  options: { status?: number; cause?: unknown } = {},
): IntegrationError {
  return new IntegrationError('github', code, message, options);
}

/** Sends the request; throws `integration_unavailable` for every failure that may pass. */
export async function requestGitHub(http: GitHubHttp, request: GitHubRequest): Promise<GitHubAnswer> {
  const headers: Record<string, string> = {
    accept: 'application/vnd.github+json',
    'x-github-api-version': '2022-11-28',
    'user-agent': 'baton',
    authorization: request.authorization,
  };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let exchanged: ExchangeAnswer;
  try {
    exchanged = await exchange(http.fetch, {
      method: request.method,
      url: `${http.apiUrl}${request.path}`,
      headers,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      timeoutMs: http.timeoutMs,
    });
  } catch (error) {
    if (!(error instanceof NoAnswerError)) throw error;
    const message = error.timedOut
      ? `GitHub did not answer within ${http.timeoutMs} ms (${request.doing}); try again later`
      : `GitHub could not be reached (${request.doing}: ${describe(error.cause)}); try again later`;
    throw githubError('integration_unavailable', message, { cause: error.cause });
  }
  const answer: GitHubAnswer = { status: exchanged.status, headers: exchanged.headers, body: exchanged.body };
  if (answer.status >= 500) {
    throw githubError(
      'integration_unavailable',
      `GitHub is having trouble (${request.doing}: it answered ${answer.status}); try again later`,
      { status: answer.status },
    );
  }
  if (rateLimited(answer)) {
    throw githubError(
      'integration_unavailable',
      `GitHub's rate limit for the App was reached (${request.doing}); ${waitHint(answer.headers)}`,
      { status: answer.status },
    );
  }
  return answer;
}

/** GitHub's own explanation (`message` of its error body), cut short; empty when there is none. */
export function githubMessage(answer: GitHubAnswer): string {
  const message = (answer.body as { message?: unknown } | undefined)?.message;
  if (typeof message !== 'string' || message === '') return '';
  // GitHub never echoes credentials, but a message must never carry one, so anything token-like goes.
  const cleaned = message.replace(/\b(gh[opsur]_[A-Za-z0-9_]+|eyJ[\w-]+\.[\w-]+\.[\w-]+)/g, '[redacted]');
  return cleaned.length > 300 ? `${cleaned.slice(0, 300)}…` : cleaned;
}

/** " (GitHub said: <its message>)" or nothing, to append to a sentence. */
export function because(answer: GitHubAnswer): string {
  const message = githubMessage(answer);
  return message === '' ? '' : ` (GitHub said: ${message})`;
}

/**
 * A 2xx body as the published API describes it. Anything else (a proxy's HTML page, a cut-off body)
 * is treated as GitHub not being there properly: retryable.
 */
export function expectGitHubBody<S extends z.ZodType>(schema: S, answer: GitHubAnswer, doing: string): z.infer<S> {
  const result = schema.safeParse(answer.body);
  if (result.success) return result.data;
  const where = result.error.issues.map((issue) => issue.path.join('.') || '(body)').join(', ');
  throw githubError(
    'integration_unavailable',
    `GitHub answered ${answer.status} with a body Baton does not understand (${doing}: ${where}); try again later`,
    { status: answer.status },
  );
}

/**
 * GitHub's primary and secondary rate limits: 429, or 403 with `retry-after` or no requests left
 * (GitHub's "Rate limits for the REST API"). A 403 for missing permissions has neither.
 */
function rateLimited(answer: GitHubAnswer): boolean {
  if (answer.status === 429) return true;
  if (answer.status !== 403) return false;
  return (
    answer.headers.has('retry-after') ||
    answer.headers.get('x-ratelimit-remaining') === '0' ||
    /rate limit/i.test(githubMessage(answer))
  );
}

function waitHint(headers: Headers): string {
  const retryAfter = Number(headers.get('retry-after') ?? '');
  if (Number.isFinite(retryAfter) && retryAfter > 0) return `try again in ${retryAfter} s`;
  const reset = Number(headers.get('x-ratelimit-reset') ?? '');
  if (headers.get('x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0)
    return `try again after ${new Date(reset * 1000).toISOString()}`;
  return 'try again in a few minutes';
}

/** A fetch failure with its cause (undici hides ECONNREFUSED and the like there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return cause === undefined || cause === '' ? error.message : `${error.message}: ${cause}`;
}
