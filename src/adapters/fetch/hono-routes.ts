import type { AnyRoute } from '../../app/http/route.ts';

/** Longest path parameter accepted, in characters after decoding (fastify's router default). */
export const maxParamLength = 100;

/** Request ids that a client may choose: short and printable, so they are safe in logs (as on Node). */
const clientRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is short and printable, else a fresh UUID. */
export function requestIdOf(request: Request): string {
  const given = request.headers.get('x-request-id');
  return given !== null && clientRequestId.test(given) ? given : crypto.randomUUID();
}

/**
 * `/v1/items/{itemId}` → `/v1/items/:itemId{[^/]*}`. The pattern lets a param be empty
 * (`/v1/items//parts/p1`), as in fastify's router; the route's schema may refuse it.
 */
export function toHonoPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1{[^/]*}');
}

/**
 * The table in the order Hono should try it: Hono runs every route that matches in the order they
 * were added, so, as in fastify's router, a static segment comes before a param at the same place.
 */
export function routesBySpecificity(routes: readonly AnyRoute[]): AnyRoute[] {
  const segments = (route: AnyRoute) => route.path.split('/').map((part) => part.startsWith('{'));
  return [...routes].sort((a, b) => {
    const [aParams, bParams] = [segments(a), segments(b)];
    for (let i = 0; i < Math.min(aParams.length, bParams.length); i++)
      if (aParams[i] !== bParams[i]) return aParams[i] === true ? 1 : -1;
    return 0;
  });
}

/**
 * Why fastify would refuse the URL before routing it (a percent-escape that does not decode, in any
 * segment, whatever the method), or undefined. Hono keeps such an escape as written instead.
 */
export function badUrlMessage(url: URL): string | undefined {
  for (const segment of url.pathname.split('/')) {
    try {
      decodeURIComponent(segment);
    } catch {
      return `'${url.pathname}${url.search}' is not a valid url component`;
    }
  }
  return undefined;
}

/**
 * Hono's parsed query (every key an array, `+` a space, a bare key `''`, a bad escape kept as
 * written, no prototype) as fastify gives it: a key seen once is a string.
 */
export function queryOf(queries: Record<string, string[]>): Record<string, string | string[]> {
  const result = Object.create(null) as Record<string, string | string[]>;
  for (const [key, values] of Object.entries(queries))
    result[key] = values.length === 1 ? (values[0] as string) : values;
  return result;
}
