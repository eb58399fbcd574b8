import type { AnyRoute } from '../../app/http/route.ts';

/** Longest path parameter accepted, in characters after decoding (fastify's router default). */
export const maxParamLength = 100;

/** What matching a request path gives: a route and its decoded params, nothing, or a malformed URL. */
export type RouteMatch =
  | { readonly kind: 'found'; readonly route: AnyRoute; readonly params: Readonly<Record<string, string>> }
  | { readonly kind: 'not_found' }
  | { readonly kind: 'bad_url'; readonly message: string };

/** Routes compiled for matching, grouped by method. */
export interface RouteMatcher {
  /** Matches `method` and an encoded `pathname` (as in `URL.pathname`); `search` only names a bad URL. */
  match(method: string, pathname: string, search: string): RouteMatch;
}

interface Segment {
  readonly param?: string;
  readonly text: string;
}

interface CompiledRoute {
  readonly route: AnyRoute;
  readonly segments: readonly Segment[];
}

/**
 * Compiles the route table's `{param}` templates into a matcher that answers like fastify's router
 * (find-my-way, with `ignoreTrailingSlash`): case-sensitive, one trailing slash ignored, static
 * segments win over params, params decoded with `decodeURIComponent` (so `%2F` is a `/` inside a
 * param), HEAD served by GET routes, a malformed percent-escape or an over-long param a 400.
 * No 405: fastify answers an unrouted method with 404, and so does this.
 */
export function compileRoutes(routes: readonly AnyRoute[]): RouteMatcher {
  const byMethod = new Map<string, CompiledRoute[]>();
  for (const route of routes) {
    const segments = route.path
      .split('/')
      .slice(1)
      .map((text): Segment => {
        const param = /^\{([A-Za-z0-9_]+)\}$/.exec(text)?.[1];
        return param === undefined ? { text } : { text, param };
      });
    const list = byMethod.get(route.method) ?? [];
    list.push({ route, segments });
    byMethod.set(route.method, list);
  }
  // Static segments before params, position by position: the most specific route is tried first.
  for (const list of byMethod.values()) list.sort((a, b) => specificity(a.segments, b.segments));

  return {
    match(method, pathname, search) {
      const candidates = byMethod.get(method === 'HEAD' ? 'GET' : method) ?? [];
      const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
      const raw = trimmed.split('/').slice(1);
      const decoded: string[] = [];
      for (const segment of raw) {
        try {
          decoded.push(decodeURIComponent(segment));
        } catch {
          return { kind: 'bad_url', message: `'${pathname}${search}' is not a valid url component` };
        }
      }
      let tooLong = false;
      for (const candidate of candidates) {
        const params = matchSegments(candidate.segments, raw, decoded);
        if (params === undefined) continue;
        if (Object.values(params).some((value) => value.length > maxParamLength)) {
          tooLong = true;
          continue;
        }
        return { kind: 'found', route: candidate.route, params };
      }
      if (tooLong) return { kind: 'bad_url', message: `'${safeDecodeUri(trimmed)}' is exceeding the max param length` };
      return { kind: 'not_found' };
    },
  };
}

/**
 * Params of a route whose template fits the path, else undefined. Static segments compare with the
 * path as `decodeURI` leaves it (reserved characters such as `%2F` stay encoded, as in find-my-way).
 */
function matchSegments(
  segments: readonly Segment[],
  raw: readonly string[],
  decoded: readonly string[],
): Record<string, string> | undefined {
  if (segments.length !== raw.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    const value = decoded[i] as string;
    if (segment.param === undefined) {
      if (safeDecodeUri(raw[i] as string) !== segment.text) return undefined;
    } else {
      // Empty params match (`/items//parts/p1`), as in find-my-way; the route's schema may refuse them.
      params[segment.param] = value;
    }
  }
  return params;
}

function specificity(a: readonly Segment[], b: readonly Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const aParam = a[i]?.param !== undefined;
    const bParam = b[i]?.param !== undefined;
    if (aParam !== bParam) return aParam ? 1 : -1;
  }
  return 0;
}

function safeDecodeUri(text: string): string {
  try {
    return decodeURI(text);
  } catch {
    return text;
  }
}
