import type { Logger as PinoLogger } from 'pino';
import { addMetricsRoute, startMetricsServer, type MetricsRouteHost } from '../adapters/fastify/metrics-server.ts';
import type { HocuspocusRealtime } from '../adapters/hocuspocus/hocuspocus-realtime.ts';
import { readJobQueues } from '../adapters/pgboss/queue-readings.ts';
import type { Database } from '../adapters/postgres/database.ts';
import { createMetricReadings } from '../adapters/postgres/metric-readings.ts';
import { PromMetrics } from '../adapters/prom-client/prom-metrics.ts';
import type { Config } from '../app/config.ts';

/** Metrics as the Node root wires them: what records into them, and where they are served. */
export interface NodeMetrics {
  /** Undefined when metrics are off: nothing is recorded, and nothing costs anything per request. */
  readonly metrics: PromMetrics | undefined;
  /**
   * Serves GET /metrics: on the API server (with BATON_METRICS_TOKEN), or on a listener of its own
   * (BATON_METRICS_PORT). Call before the API server listens. Returns how to stop what it started.
   */
  serve(api: MetricsRouteHost): Promise<() => Promise<void>>;
}

/**
 * Prometheus metrics on Node (docs/metrics.md), on when BATON_METRICS_TOKEN or BATON_METRICS_PORT is
 * set. Scrape-time values: pg-boss's queues, the outbox's lag, live sessions, this process's realtime.
 */
export function createNodeMetrics(
  config: Config,
  db: Database,
  realtime: Pick<HocuspocusRealtime, 'liveCounts'>,
  logger: PinoLogger,
): NodeMetrics {
  const { token, port } = config.metrics;
  if (token === undefined && port === undefined)
    return { metrics: undefined, serve: async () => async () => undefined };
  const metrics = new PromMetrics({
    logger,
    readings: {
      jobQueues: () => readJobQueues(db),
      ...createMetricReadings(db),
      realtime: () => realtime.liveCounts(),
    },
  });
  const exposition = () => metrics.exposition();
  return {
    metrics,
    async serve(api) {
      if (port === undefined) {
        addMetricsRoute(api, { exposition, token });
        return async () => undefined;
      }
      const server = await startMetricsServer({ host: config.http.host, port, token, exposition, logger });
      logger.info({ url: `${server.url}/metrics` }, 'metrics are served on their own port');
      return () => server.close();
    },
  };
}
