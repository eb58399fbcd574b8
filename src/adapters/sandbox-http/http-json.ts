import type { z } from 'zod';
import { SandboxUnavailableError } from '../../ports/sandboxes.ts';
import { exchange, NoAnswerError, type ExchangeAnswer } from '../http-common/exchange.ts';

/** What both http adapters are configured with. */
export interface HttpSandboxOptions {
  /** The plane's shared token, sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Defaults to the global `fetch` (tests and proxies may pass their own). */
  readonly fetch?: typeof fetch;
  /** Timeout of every single request (default 10 s). */
  readonly timeoutMs?: number;
}

/** An answer below 500, its body parsed as JSON (undefined when empty or not JSON). */
export interface JsonAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * One JSON request to the plane or a sandbox. Whatever says "the other side is not there" (a network
 * error, a timeout, a 5xx) becomes `SandboxUnavailableError`; a caller's own abort is rethrown as is,
 * because then nothing is wrong with the sandbox.
 */
export async function requestJson(
  options: HttpSandboxOptions,
  method: string,
  url: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<JsonAnswer> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let answer: ExchangeAnswer;
  try {
    answer = await exchange(options.fetch ?? fetch, {
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      timeoutMs: options.timeoutMs ?? 10_000,
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (error) {
    if (!(error instanceof NoAnswerError)) throw error;
    throw new SandboxUnavailableError(
      `${method} ${url} failed: ${error.cause instanceof Error ? error.cause.message : String(error.cause)}`,
      { cause: error.cause },
    );
  }
  if (answer.status >= 500)
    throw new SandboxUnavailableError(
      `${method} ${url} answered ${answer.status}: ${errorMessage(answer.body) ?? answer.text.slice(0, 200)}`,
    );
  return { status: answer.status, body: answer.body };
}

/** The contract's error code in a body, if any (`run_not_found`, `sandbox_not_found`, …). */
export function errorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The plane refused the request for a reason of its own (a 4xx other than "not there"). */
export function refused(method: string, url: string, answer: JsonAnswer): Error {
  return new Error(`${method} ${url} answered ${answer.status}: ${errorMessage(answer.body) ?? 'no error message'}`);
}

/** The sandbox (or the plane) does not know it: it is gone. */
export function gone(what: string, answer: JsonAnswer): SandboxUnavailableError {
  return new SandboxUnavailableError(`${what} is gone: ${errorMessage(answer.body) ?? `status ${answer.status}`}`);
}

/** A 2xx body checked against what the contract promises; a plane breaking it is a bug, not an outage. */
export function expectBody<S extends z.ZodType>(schema: S, answer: JsonAnswer, what: string): z.infer<S> {
  const result = schema.safeParse(answer.body);
  if (!result.success)
    throw new Error(
      `${what}: the answer does not match the contract (` +
        `${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`,
    );
  return result.data;
}

/** The contract's error message in a body, if any. */
export function errorMessage(body: unknown): string | undefined {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' ? message : undefined;
}
