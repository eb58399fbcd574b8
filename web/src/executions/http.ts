/**
 * A small JSON client for the pages of this folder and its siblings (home, recipes): same-origin
 * requests with the session cookie, and API errors (`{ error: { code, message, details } }`) turned
 * into `ApiError`s so a page can show the server's own words (a 409's reason, a 400's paths).
 */

/** An error answer of the API, or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Sends a request; resolves to the parsed body (undefined for 204), rejects with an `ApiError`. */
export async function api<T>(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json', ...headers } : { accept: 'application/json', 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    throw new ApiError(0, 'network', `The server could not be reached (${error instanceof Error ? error.message : String(error)})`);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): fall through to a message naming the status.
  }
  if (response.ok) return parsed as T;
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : `http_${response.status}`;
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${response.status}`;
  throw new ApiError(response.status, code, message, error?.details);
}

/** Shorthand for GET. */
export function getJson<T>(path: string): Promise<T> {
  return api<T>('GET', path);
}

/** An error as a sentence for people. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** A 400's input issues by path (`inputs.title` → message), for showing each at its field. */
export function issuesByPath(error: unknown): Map<string, string> {
  const found = new Map<string, string>();
  if (!(error instanceof ApiError)) return found;
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return found;
  for (const issue of issues) {
    const { path, message } = (issue ?? {}) as { path?: unknown; message?: unknown };
    if (typeof path === 'string' && typeof message === 'string') found.set(path, found.has(path) ? `${found.get(path)}; ${message}` : message);
  }
  return found;
}

/** `encodeURIComponent` for path segments (ids come from URLs people can edit). */
export const seg = encodeURIComponent;
