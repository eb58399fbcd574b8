/**
 * Errors of the typed API client for every page:
 * error answers (`{ error: { code, message, details } }`) become `ApiError`s, so a page can show the
 * server's own words (a 409's reason, a 400's paths).
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

/**
 * Waits for a call of the typed client (`api.GET('/v1/…', …)` from web/src/api.ts, typed by our
 * OpenAPI document) and gives its data, or throws an `ApiError` with the server's code, message and
 * details (a network failure is status 0).
 */
export async function unwrap<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  let result: { data?: D; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    throw new ApiError(
      0,
      'network',
      `The server could not be reached (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  if (result.error === undefined && result.response.ok) return result.data as D;
  const body = (result.error as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)
    ?.error;
  const status = result.response.status;
  throw new ApiError(
    status,
    typeof body?.code === 'string' ? body.code : `http_${status}`,
    typeof body?.message === 'string' ? body.message : `The server answered ${status}`,
    body?.details,
  );
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
    if (typeof path === 'string' && typeof message === 'string')
      found.set(path, found.has(path) ? `${found.get(path)}; ${message}` : message);
  }
  return found;
}

/**
 * The line a form shows on top after a refused write: with no 400 issues, the error's own words; else
 * the issues at no field of the form (`placed` says which paths have one) as `path: message; …`, or
 * null when every issue stands at its field.
 */
export function issuesElsewhere(
  error: unknown,
  issues: ReadonlyMap<string, string>,
  placed: (path: string) => boolean,
): string | null {
  if (issues.size === 0) return messageOf(error);
  const elsewhere = [...issues].filter(([path]) => !placed(path));
  return elsewhere.length > 0 ? elsewhere.map(([path, message]) => `${path}: ${message}`).join('; ') : null;
}
