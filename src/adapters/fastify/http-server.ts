import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import rateLimit from '@fastify/rate-limit';
import fastifyWebsocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import Fastify, { LogController, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { dispatch, type DispatchContext } from '../../app/http/dispatch.ts';
import { errorBody, statusForCode } from '../../app/http/errors.ts';
import { acceptsFormBody, parseFormBody } from '../../app/http/form-body.ts';
import { rateLimitBucket, rateLimitKey, type RateLimits } from '../../app/http/rate-limit-policy.ts';
import type { AnyRoute, RequestHeaders } from '../../app/http/route.ts';
import { securityHeaders } from '../../app/http/security-headers.ts';
import {
  assetContentType,
  assetFileName,
  consolePageHeaders,
  consoleUnavailablePage,
  immutableCache,
  isConsoleNavigation,
} from '../../app/http/console-paths.ts';
import type { ConsoleSource } from '../node-console/console-files.ts';
import type { Authentication } from '../../app/identity/authenticate.ts';
import type { RateLimitCounter } from '../../ports/rate-limits.ts';
import { sharedRateLimitStore } from './rate-limit-store.ts';
import type { Metrics } from '../../ports/metrics.ts';

/** Options of the Node HTTP server. */
export interface HttpServerOptions {
  readonly routes: readonly AnyRoute[];
  readonly logger: PinoLogger;
  /** Largest accepted body in bytes. */
  readonly bodyLimit: number;
  /** How routes authenticate callers. */
  readonly context: DispatchContext;
  /** Requests per minute, keyed by what authenticated the caller (`rateLimitBucket`). */
  readonly rateLimits?: RateLimits;
  /** Where the counts live, shared by every instance; without it each process counts alone (in memory). */
  readonly rateLimitCounter?: RateLimitCounter;
  /**
   * Whether the client address comes from X-Forwarded-For: false, true, a number of trusted
   * hops, or the trusted proxies' addresses.
   */
  readonly trustProxy?: boolean | number | string;
  /** A WebSocket endpoint (realtime): each accepted socket and its handshake as a Web Request. */
  readonly websocket?: {
    readonly path: string;
    readonly maxPayload: number;
    onConnection(socket: WebSocket, request: Request): void;
  };
  /** Where each answered request's latency goes, by route template (never the raw URL: no ids in labels). */
  readonly metrics?: Pick<Metrics, 'httpRequest'>;
  /** The web console's build: its page for navigations, its hashed files under /assets/. */
  readonly console?: ConsoleSource;
  /** ws(s) origins the console's page may connect to besides ours (sandbox terminals; CSP connect-src). */
  readonly terminalOrigins?: readonly string[];
}

/** Fastify's own 4xx error codes, mapped onto our uniform error codes. */
const frameworkErrorCodes: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_BAD_URL: 'bad_request',
};

/** Request ids that a client may choose: short and printable, so they are safe in logs. */
const clientRequestId = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Mounts the runtime-neutral route table on fastify. Fastify routes, parses JSON and enforces the
 * body limit; everything else (validation, handlers, error mapping) happens in `dispatch`, exactly
 * as in the Worker. Every failure, including fastify's own, gets the uniform error body.
 */
export async function createHttpServer(options: HttpServerOptions) {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimit,
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId' }),
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && clientRequestId.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    trustProxy: trustedHops(options.trustProxy ?? false),
    // Node's own answers to unparsable requests (431 headers too large, 400, 408) in our error shape.
    clientErrorHandler: writeClientError,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true },
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    frameworkErrors: (error, request, reply) => {
      request.log.info({ err: error }, 'malformed request');
      // These answers skip the onSend hook, yet they too carry the request id and the security headers.
      void reply.header('x-request-id', request.id).headers(securityHeaders);
      void sendError(reply, frameworkErrorCodes[error.code] ?? 'bad_request', error.message);
    },
  });
  // OAuth's device endpoints also take forms (RFC 8628); anywhere else a form is a 415, as before.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    // On an unknown path the 404 wins over the media type, as for any other body.
    if (request.is404) done(null, undefined);
    else if (!acceptsFormBody(request.routeOptions.url ?? ''))
      done(Object.assign(new Error('Unsupported Media Type'), { statusCode: 415 }), undefined);
    else {
      (request as FastifyRequest & { rawBody?: string }).rawBody = body.toString();
      done(null, parseFormBody(body.toString()));
    }
  });
  // Only JSON bodies: fastify's default text/plain parser would hand strings to JSON routes.
  app.removeContentTypeParser('text/plain');
  // Clients often send `content-type: application/json` on a DELETE with no body; an empty body means "no body".
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else {
      // Kept for routes that verify a signature over the exact bytes (sandbox callbacks).
      (request as FastifyRequest & { rawBody?: string }).rawBody = body.toString();
      // Typed as maybe async, fastify's JSON parser is synchronous and reports through done.
      void jsonParser(request, body.toString(), done);
    }
  });

  // A request authenticates once: the rate limit keys on the result, and the route uses it.
  const authentications = new WeakMap<FastifyRequest, Promise<Authentication | null>>();
  const authenticateOnce = (request: FastifyRequest): Promise<Authentication | null> => {
    let authentication = authentications.get(request);
    if (authentication === undefined) {
      authentication = options.context.authenticate(flattenHeaders(request.headers));
      // Whoever awaits it sees the failure; unawaited (a limited public route) it is no crash.
      authentication.catch(() => undefined);
      authentications.set(request, authentication);
    }
    return authentication;
  };

  if (options.rateLimits !== undefined) {
    const limits = options.rateLimits;
    // The route's template (not the raw URL): what the router matched decides the budget.
    const bucketOf = (request: FastifyRequest) =>
      rateLimitBucket(limits, request.routeOptions.url ?? request.url, request.ip, () =>
        authenticateOnce(request).catch(() => 'refused' as const),
      );
    const buckets = new WeakMap<FastifyRequest, { key: string; perMinute: number } | null>();
    await app.register(rateLimit, {
      global: true,
      timeWindow: 60_000,
      // Hashed before it goes anywhere: the store sees no token id, session id or address.
      keyGenerator: async (request) => {
        const bucket = await bucketOf(request);
        buckets.set(request, bucket);
        return bucket === null ? 'unlimited' : rateLimitKey(bucket);
      },
      allowList: (request) => buckets.get(request) === null,
      max: (request) => buckets.get(request)?.perMinute ?? limits.anonymousPerMinute,
      ...(options.rateLimitCounter === undefined
        ? {}
        : { store: sharedRateLimitStore(options.rateLimitCounter, options.logger), skipOnError: true }),
    });
  }

  if (options.websocket !== undefined) {
    const { path, maxPayload, onConnection } = options.websocket;
    await app.register(fastifyWebsocket, { options: { maxPayload } });
    app.get(path, { websocket: true }, (socket, request) => {
      onConnection(
        socket,
        new Request(new URL(request.url, `http://${request.headers.host ?? 'localhost'}`), {
          headers: handshakeHeaders(request.headers),
        }),
      );
    });
  }

  if (options.metrics !== undefined) {
    const metrics = options.metrics;
    // Fastify measured the time already; the route is the template it matched (`/v1/executions/:id`).
    app.addHook('onResponse', (request, reply, done) => {
      metrics.httpRequest({
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        seconds: reply.elapsedTime / 1000,
      });
      done();
    });
  }

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
    // The console's page carries its own policy (it runs scripts); every other answer gets ours.
    for (const [name, value] of Object.entries(securityHeaders))
      if (!reply.hasHeader(name)) void reply.header(name, value);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code =
        frameworkErrorCodes[error.code] ??
        (status === 413
          ? 'payload_too_large'
          : status === 415
            ? 'unsupported_media_type'
            : status === 429
              ? 'rate_limited'
              : 'bad_request');
      return sendError(reply, code, error.message, status);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(
      reply,
      'internal_error',
      'Something went wrong on our side; the request id identifies it in our logs',
      500,
      { requestId: request.id },
    );
  });

  const consoleSource = options.console;
  app.setNotFoundHandler(async (request, reply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (consoleSource !== undefined && (request.method === 'GET' || request.method === 'HEAD')) {
      if (isConsoleNavigation(pathname))
        return sendConsolePage(reply, consoleSource, options.context.publicOrigin, options.terminalOrigins ?? []);
      const asset = assetFileName(pathname);
      const bytes = asset === null ? null : await consoleSource.asset(asset);
      if (asset !== null && bytes !== null)
        return reply
          .status(200)
          .type(assetContentType(asset))
          .header('cache-control', immutableCache)
          .send(Buffer.from(bytes));
    }
    return sendError(reply, 'route_not_found', `No route for ${request.method} ${pathname}`);
  });

  for (const route of options.routes) {
    app.route({
      method: route.method,
      url: toFastifyPath(route.path),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const result = await dispatch(
          route,
          {
            params: request.params as Record<string, string>,
            query: request.query as Record<string, unknown>,
            body: request.body,
            ...((request as FastifyRequest & { rawBody?: string }).rawBody === undefined
              ? {}
              : { rawBody: (request as FastifyRequest & { rawBody?: string }).rawBody }),
            headers: flattenHeaders(request.headers),
            requestId: request.id,
            log: request.log,
          },
          { ...options.context, authenticate: () => authenticateOnce(request) },
        );
        void reply.status(result.status);
        for (const [name, value] of Object.entries(result.headers ?? {}))
          void reply.header(name, typeof value === 'string' ? value : [...value]);
        if (result.body === undefined) return reply.send();
        return reply.type('application/json; charset=utf-8').send(JSON.stringify(result.body));
      },
    });
  }
  return app;
}

/**
 * A hop count as a trust function: the socket's peer is hop 0, the last X-Forwarded-For entry hop 1,
 * and so on; the first untrusted one is the client. (Fastify given a number trusts no hop at all.)
 */
function trustedHops(
  trustProxy: boolean | number | string,
): boolean | string | ((address: string, hop: number) => boolean) {
  if (typeof trustProxy !== 'number') return trustProxy;
  const hops = trustProxy;
  return (_address, hop) => hop < hops;
}

/** Node's answers to requests it could not parse, written on the socket: our error body and headers. */
function writeClientError(
  this: { log: { trace(obj: object, msg: string): void } },
  error: NodeJS.ErrnoException,
  socket: Duplex,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request was not received in time']
        : [400, 'bad_request', 'The request could not be parsed as HTTP'];
  this.log.trace({ err: error }, 'client error');
  if (socket.writable) {
    const body = JSON.stringify(errorBody(code, message));
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      connection: 'close',
      ...securityHeaders,
    };
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}`)
        .join('\r\n')}\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/** index.html for a page navigation, or the 503 page saying why the console cannot be shown. */
async function sendConsolePage(
  reply: FastifyReply,
  source: ConsoleSource,
  publicOrigin: string,
  terminalOrigins: readonly string[],
): Promise<FastifyReply> {
  const page = await source.page();
  if ('html' in page)
    return reply.status(200).headers(consolePageHeaders(publicOrigin, terminalOrigins)).send(Buffer.from(page.html));
  return reply
    .status(503)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('retry-after', page.reason === 'building' ? '5' : '60')
    .send(consoleUnavailablePage(page));
}

function sendError(
  reply: FastifyReply,
  code: string,
  message: string,
  status = statusForCode(code),
  details?: unknown,
): FastifyReply {
  return reply
    .status(status)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify(errorBody(code, message, details)));
}

/** `/v1/dashboards/{id}` → `/v1/dashboards/:id`. */
function toFastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/** The handshake's end-to-end headers (cookie, origin, …) for a Web Request; hop-by-hop ones are dropped. */
function handshakeHeaders(headers: FastifyRequest['headers']): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(flattenHeaders(headers))) {
    if (value === undefined || name === 'connection' || name === 'upgrade' || name.startsWith('sec-websocket-'))
      continue;
    try {
      result.set(name, value);
    } catch {
      // A header value a Web Request refuses; the handshake does not need it.
    }
  }
  return result;
}

function flattenHeaders(headers: FastifyRequest['headers']): RequestHeaders {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers)) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

/** The Node HTTP server. */
export type HttpServer = Awaited<ReturnType<typeof createHttpServer>>;
