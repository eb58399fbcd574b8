import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { errorBody } from '../../app/http/errors.ts';
import { securityHeaders } from '../../app/http/security-headers.ts';

/** Renders the metrics in the Prometheus text format (`PromMetrics.exposition`). */
export type Exposition = () => Promise<{ contentType: string; body: string }>;

/** The part of a fastify server (of any logger type) the route is added to. */
export interface MetricsRouteHost {
  get(path: string, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>): unknown;
}

/** The path Prometheus scrapes. Node only: the Worker has no such route (Cloudflare has its own analytics). */
export const metricsPath = '/metrics';

/**
 * Adds `GET /metrics` to a server: answered only with `Authorization: Bearer <token>` when a token
 * is given (401 otherwise); open when it is not (a separate port the operator keeps private).
 * Kept out of the runtime-neutral route table and the OpenAPI document: it is an operator's
 * endpoint in Prometheus' text format, not part of the JSON API.
 */
export function addMetricsRoute(
  app: MetricsRouteHost,
  options: { exposition: Exposition; token: string | undefined },
): void {
  const expected = options.token === undefined ? undefined : digest(options.token);
  app.get(metricsPath, async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.headers(securityHeaders).header('cache-control', 'no-store');
    if (expected !== undefined && !presents(request.headers.authorization, expected)) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="baton-metrics"')
        .type('application/json; charset=utf-8')
        .send(
          JSON.stringify(
            errorBody('unauthenticated', 'The metrics need the Authorization header: Bearer <BATON_METRICS_TOKEN>', {
              field: 'authorization',
            }),
          ),
        );
    }
    const { contentType, body } = await options.exposition();
    return reply.type(contentType).send(body);
  });
}

/**
 * A listener of its own for `GET /metrics` (BATON_METRICS_PORT), bound to HOST: scrapes stay off
 * the public port, its rate limits and its request metrics. Everything else answers 404.
 */
export async function startMetricsServer(options: {
  host: string;
  port: number;
  token: string | undefined;
  exposition: Exposition;
  logger: PinoLogger;
}): Promise<{ url: string; close(): Promise<void> }> {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'metrics' }),
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: true,
  });
  addMetricsRoute(app, options);
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .type('application/json; charset=utf-8')
      .send(
        JSON.stringify(
          errorBody(
            'route_not_found',
            `No route for ${request.method} ${request.url.split('?')[0]}; metrics are at ${metricsPath}`,
          ),
        ),
      ),
  );
  await app.listen({ host: options.host, port: options.port });
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return { url: `http://${host}:${options.port}`, close: () => app.close() };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Whether the header carries the token (compared as digests, in constant time). */
function presents(authorization: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] !== undefined && timingSafeEqual(digest(match[1]), expected);
}
