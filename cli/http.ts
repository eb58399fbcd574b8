import { CliError, exitCodeForStatus } from './exit-codes.ts';

/** Query values: repeated keys for arrays, absent ones left out. */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

/** An error answer of Baton's API (`{ "error": { code, message, details } }`), with its status. */
export class ApiError extends CliError {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  /** The answer's body as sent (printed unchanged with `--json`). */
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)?.error;
    const message = typeof error?.message === 'string' ? error.message : `the server answered ${status}`;
    super(message, exitCodeForStatus(status));
    this.name = 'ApiError';
    this.status = status;
    this.code = typeof error?.code === 'string' ? error.code : `http_${status}`;
    this.details = error?.details;
    this.body = body;
  }
}

/** Baton's HTTP API as the CLI calls it: JSON in, JSON out, a bearer token, errors thrown as `ApiError`. */
export interface Api {
  readonly url: string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body: unknown): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

/** Builds a path from a template and values, each encoded (`path('/v1/recipes/{id}', { id })`). */
export function path(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
}

/** The API at `url` with `token` (undefined: no Authorization header, for public routes). */
export function createApi(url: string, token: string | undefined, fetchImpl: typeof fetch = fetch): Api {
  const base = url.replace(/\/+$/, '');
  const call = async <T>(method: string, target: string, body?: unknown): Promise<T> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetchImpl(`${base}${target}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new CliError(`Cannot reach ${base}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text !== '') {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    if (!res.ok) throw new ApiError(res.status, parsed);
    return parsed as T;
  };
  return {
    url: base,
    get: (target, query) => call('GET', `${target}${queryString(query)}`),
    post: (target, body) => call('POST', target, body ?? {}),
    put: (target, body) => call('PUT', target, body),
    patch: (target, body) => call('PATCH', target, body),
    delete: (target) => call('DELETE', target),
  };
}

function queryString(query: Query | undefined): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}
