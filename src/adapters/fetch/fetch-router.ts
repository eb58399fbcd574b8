import { Hono, type Context } from 'hono';
import { dispatch, type DispatchContext } from '../../app/http/dispatch.ts';
import { errorBody, statusForCode } from '../../app/http/errors.ts';
import { acceptsFormBody } from '../../app/http/form-body.ts';
import type { AnyRoute, RouteResponse } from '../../app/http/route.ts';
import { securityHeaders } from '../../app/http/security-headers.ts';
import type { Logger } from '../../ports/logger.ts';
import { readBody } from './request-parts.ts';
import { badUrlMessage, maxParamLength, queryOf, requestIdOf, routesBySpecificity, toHonoPath } from './hono-routes.ts';

/** Options of the fetch-native HTTP edge. */
export interface FetchHandlerOptions {
  /** The runtime-neutral route table (`buildRouteTable`), the same one fastify mounts on Node. */
  readonly routes: readonly AnyRoute[];
  /** How routes authenticate callers. */
  readonly context: DispatchContext;
  /** Largest accepted body in bytes. */
  readonly bodyLimit: number;
  /** Every request logs through a child carrying its `requestId`. */
  readonly logger: Logger;
}

/** Answers one HTTP request; what a Worker's `fetch` handler delegates to. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** What the edge middleware hands to the routes and the not-found handler of one request. */
type EdgeEnv = {
  Variables: {
    requestId: string;
    log: Logger;
    /** A route matched the path but one of its params was over `maxParamLength`. */
    paramTooLong: boolean;
  };
};

const internalError = 'Something went wrong on our side; the request id identifies it in our logs';

/**
 * Mounts the route table on Hono, for the Worker (fastify cannot run in workerd). Hono routes
 * (`{param}` templates, one trailing slash ignored, case-sensitive, HEAD served by GET routes
 * without a body), decodes params and the query, and bounds the body (`bodyLimit`); this file only
 * gives its answers the shape the fastify adapter (`src/adapters/fastify/http-server.ts`) gives,
 * which the shared edge suite checks. Validation, auth and error mapping happen in `dispatch`.
 *
 * Rate limiting is deliberately absent: on Node it is a fastify plugin, while on Cloudflare it is
 * configured as rate-limiting rules in front of the Worker, where it costs no Worker invocation.
 */
export function createFetchHandler(options: FetchHandlerOptions): FetchHandler {
  const app = new Hono<EdgeEnv>({ strict: false });

  app.use(async (c, next) => {
    const started = performance.now();
    const requestId = requestIdOf(c.req.raw);
    const log = options.logger.child({ requestId });
    c.set('requestId', requestId);
    c.set('log', log);
    c.set('paramTooLong', false);
    const url = new URL(c.req.url);
    log.info({ req: { method: c.req.method, url: `${url.pathname}${url.search}` } }, 'incoming request');
    const bad = badUrlMessage(url);
    if (bad !== undefined) {
      log.info({ err: { message: bad } }, 'malformed request');
      c.res = toResponse(failure('bad_request', bad));
    } else await next();
    c.res.headers.set('x-request-id', requestId);
    for (const [name, value] of Object.entries(securityHeaders)) c.res.headers.set(name, value);
    log.info({ res: { statusCode: c.res.status }, responseTime: performance.now() - started }, 'request completed');
  });

  for (const route of routesBySpecificity(options.routes)) {
    app.on(route.method, toHonoPath(route.path), async (c, next) => {
      const params = c.req.param() as Record<string, string>;
      // Like find-my-way, a param over the limit makes the route not match; a later one may.
      if (Object.values(params).some((value) => value.length > maxParamLength)) {
        c.set('paramTooLong', true);
        return next();
      }
      const body = await readBody(c, options.bodyLimit, true, acceptsFormBody(route.path));
      if (body.kind === 'failed') return malformed(c, body.failure.code, body.failure.message);
      const result = await dispatch(
        route,
        {
          params,
          query: queryOf(c.req.queries()),
          body: body.kind === 'json' ? body.body : undefined,
          ...(body.kind === 'json' ? { rawBody: body.rawBody } : {}),
          headers: c.req.header(),
          requestId: c.get('requestId'),
          log: c.get('log'),
        },
        options.context,
      );
      return toResponse(result);
    });
  }

  app.notFound(async (c) => {
    const pathname = new URL(c.req.url).pathname;
    if (c.get('paramTooLong'))
      return malformed(c, 'bad_request', `'${decodedPath(pathname)}' is exceeding the max param length`);
    // fastify reads the body before answering 404 (a bad JSON body on an unknown path is a 400).
    const body = await readBody(c, options.bodyLimit, false);
    if (body.kind === 'failed') return malformed(c, body.failure.code, body.failure.message);
    return toResponse(failure('route_not_found', `No route for ${c.req.method} ${pathname}`));
  });

  app.onError((error, c) => {
    // A bug (in a route's headers, say), never bad input: the caller gets the uniform 500.
    c.get('log').error({ err: error }, 'unhandled error');
    return toResponse(failure('internal_error', internalError, 500, { requestId: c.get('requestId') }));
  });

  return async (request) => app.fetch(request);
}

function malformed(c: Context<EdgeEnv>, code: string, message: string): Response {
  c.get('log').info({ err: { message } }, 'malformed request');
  return toResponse(failure(code, message));
}

function failure(code: string, message: string, status = statusForCode(code), details?: unknown): RouteResponse {
  return { status, body: errorBody(code, message, details) };
}

/** The path as find-my-way names it in its 400: `decodeURI`d, trailing slash dropped. */
function decodedPath(pathname: string): string {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  try {
    return decodeURI(trimmed);
  } catch {
    return trimmed;
  }
}

/**
 * Writes a route's result: JSON bodies as `application/json; charset=utf-8` with their length (a
 * HEAD answer, which Hono strips of its body, keeps it), no body and no content-type when the result
 * has none, repeated headers (set-cookie) as separate lines.
 */
function toResponse(result: RouteResponse): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (typeof value === 'string') headers.set(name, value);
    else for (const one of value) headers.append(name, one);
  }
  // 204 and 304 must not carry a body (the Response constructor refuses one).
  if (result.body === undefined || result.status === 204 || result.status === 304)
    return new Response(null, { status: result.status, headers });
  const bytes = new TextEncoder().encode(JSON.stringify(result.body));
  headers.set('content-type', 'application/json; charset=utf-8');
  headers.set('content-length', String(bytes.byteLength));
  return new Response(bytes, { status: result.status, headers });
}
