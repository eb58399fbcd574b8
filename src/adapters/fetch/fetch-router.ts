import { dispatch, type DispatchContext } from '../../app/http/dispatch.ts';
import { errorBody, statusForCode } from '../../app/http/errors.ts';
import { acceptsFormBody } from '../../app/http/form-body.ts';
import type { AnyRoute, RouteResponse } from '../../app/http/route.ts';
import { securityHeaders } from '../../app/http/security-headers.ts';
import type { Logger } from '../../ports/logger.ts';
import { headersOf, parseQuery, readBody, requestIdOf } from './request-parts.ts';
import { compileRoutes } from './route-matcher.ts';

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

/**
 * Mounts the route table on the Fetch API, for the Worker (fastify cannot run in workerd). It
 * answers like the fastify adapter (`src/adapters/fastify/http-server.ts`) in everything a client
 * can observe: routing, the framework's own 4xx answers, JSON bodies, query strings, request ids,
 * HEAD. Validation, auth and error mapping happen in `dispatch`, shared by both.
 *
 * Rate limiting is deliberately absent: on Node it is a fastify plugin, while on Cloudflare it is
 * configured as rate-limiting rules in front of the Worker, where it costs no Worker invocation.
 */
export function createFetchHandler(options: FetchHandlerOptions): FetchHandler {
  const matcher = compileRoutes(options.routes);
  return async (request) => {
    const started = performance.now();
    const requestId = requestIdOf(request);
    const log = options.logger.child({ requestId });
    const head = request.method === 'HEAD';
    const url = new URL(request.url);
    log.info({ req: { method: request.method, url: `${url.pathname}${url.search}` } }, 'incoming request');
    let response: Response;
    try {
      response = toResponse(await answer(request, url, requestId, log), requestId, head);
    } catch (error) {
      // A bug (in a route's headers, say), never bad input: the caller gets the uniform 500.
      log.error({ err: error }, 'unhandled error');
      response = toResponse(
        failure('internal_error', 'Something went wrong on our side; the request id identifies it in our logs', 500, {
          requestId,
        }),
        requestId,
        head,
      );
    }
    log.info({ res: { statusCode: response.status }, responseTime: performance.now() - started }, 'request completed');
    return response;
  };

  async function answer(request: Request, url: URL, requestId: string, log: Logger): Promise<RouteResponse> {
    const match = matcher.match(request.method, url.pathname, url.search);
    if (match.kind === 'bad_url') {
      log.info({ err: { message: match.message } }, 'malformed request');
      return failure('bad_request', match.message);
    }
    // fastify reads the body before answering 404 (a bad JSON body on an unknown path is a 400).
    const body = await readBody(
      request,
      options.bodyLimit,
      match.kind === 'found',
      match.kind === 'found' && acceptsFormBody(match.route.path),
    );
    if (body.kind === 'failed') {
      log.info({ err: { message: body.failure.message } }, 'malformed request');
      return failure(body.failure.code, body.failure.message);
    }
    if (match.kind === 'not_found') return failure('route_not_found', `No route for ${request.method} ${url.pathname}`);
    return dispatch(
      match.route,
      {
        params: match.params,
        query: parseQuery(url.search.slice(1)),
        body: body.kind === 'json' ? body.body : undefined,
        ...(body.kind === 'json' ? { rawBody: body.rawBody } : {}),
        headers: headersOf(request),
        requestId,
        log,
      },
      options.context,
    );
  }
}

function failure(code: string, message: string, status = statusForCode(code), details?: unknown): RouteResponse {
  return { status, body: errorBody(code, message, details) };
}

/**
 * Writes a route's result: JSON bodies as `application/json; charset=utf-8`, no body (and no
 * content-type) when the result has none, repeated headers (set-cookie) as separate lines, the
 * request id and the security headers on every answer. HEAD gets GET's status and headers with the length but no body.
 */
function toResponse(result: RouteResponse, requestId: string, head: boolean): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (typeof value === 'string') headers.set(name, value);
    else for (const one of value) headers.append(name, one);
  }
  headers.set('x-request-id', requestId);
  for (const [name, value] of Object.entries(securityHeaders)) headers.set(name, value);
  // 204 and 304 must not carry a body (the Response constructor refuses one).
  if (result.body === undefined || result.status === 204 || result.status === 304)
    return new Response(null, { status: result.status, headers });
  const text = JSON.stringify(result.body);
  headers.set('content-type', 'application/json; charset=utf-8');
  if (!head) return new Response(text, { status: result.status, headers });
  headers.set('content-length', String(new TextEncoder().encode(text).byteLength));
  return new Response(null, { status: result.status, headers });
}
