import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Logger } from '../../ports/logger.ts';
import {
  reaperActions,
  type HttpRequestSample,
  type MetricReadings,
  type Metrics,
  type ReaperAction,
  type StepChange,
} from '../../ports/metrics.ts';

/** Options of the Prometheus metrics. */
export interface PromMetricsOptions {
  /** What is read on each scrape (queue depth, outbox lag, sessions, realtime). */
  readonly readings: MetricReadings;
  readonly logger: Logger;
  /** Node's process metrics (CPU, memory, event loop lag, GC); default true. */
  readonly processMetrics?: boolean;
}

/** Methods kept as a label; anything else is `OTHER`, so a label's values stay a small, known set. */
const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** Request latency buckets in seconds: most answers take milliseconds; a slow one shows up in the top buckets. */
const latencyBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A failed reading is logged at most once per this interval (a scrape every 15 s during an outage). */
const warnIntervalMs = 60_000;

/**
 * The `Metrics` port on prom-client, with a registry of its own (so several servers in one process,
 * as in tests, keep their numbers apart). Values that are cheaper to read than to track (queue
 * depth, outbox lag, sessions, open connections) are read once per scrape, all at once.
 */
export class PromMetrics implements Metrics {
  readonly #registry = new Registry();
  readonly #options: PromMetricsOptions;
  readonly #latency: Histogram<'method' | 'route' | 'status_class'>;
  /** One child per label combination: the per-request cost is a map lookup and an observe. */
  readonly #latencyChildren = new Map<string, { observe(value: number): void }>();
  readonly #steps: Record<StepChange, Counter<'kind'>>;
  readonly #reaper: Counter<'action'>;
  readonly #queueDepth: Gauge<'queue' | 'state'>;
  readonly #queueOldest: Gauge<'queue'>;
  readonly #outboxLag: Gauge;
  readonly #sessions: Gauge<'status'>;
  readonly #connections: Gauge;
  readonly #documents: Gauge;
  readonly #warnedAt = new Map<string, number>();

  constructor(options: PromMetricsOptions) {
    this.#options = options;
    const registers = [this.#registry];
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.#registry });
    this.#latency = new Histogram({
      name: 'baton_http_request_duration_seconds',
      help: 'HTTP requests by method, route template and status class (2xx, 4xx, …), with how long the answer took',
      labelNames: ['method', 'route', 'status_class'],
      buckets: latencyBuckets,
      registers,
    });
    this.#steps = {
      started: new Counter({
        name: 'baton_steps_started_total',
        help: 'Steps of executions that started (each visit of a step counts once, its retries do not)',
        labelNames: ['kind'],
        registers,
      }),
      finished: new Counter({
        name: 'baton_steps_finished_total',
        help: 'Steps of executions that ended successfully',
        labelNames: ['kind'],
        registers,
      }),
      failed: new Counter({
        name: 'baton_steps_failed_total',
        help: 'Steps of executions that ended failed (after their retries)',
        labelNames: ['kind'],
        registers,
      }),
    };
    this.#reaper = new Counter({
      name: 'baton_reaper_actions_total',
      help:
        'What the session reaper did: sessions stopped (idle, past their lifetime, execution finished), ' +
        'lost (lease ran out, sandbox gone), failed (stuck provisioning), quiet runs recovered',
      labelNames: ['action'],
      registers,
    });
    for (const action of reaperActions) this.#reaper.inc({ action }, 0);
    this.#queueDepth = new Gauge({
      name: 'baton_job_queue_depth',
      help: 'Jobs in the job queue by queue and state: ready (due, waiting for a worker) or active (being handled)',
      labelNames: ['queue', 'state'],
      registers,
    });
    this.#queueOldest = new Gauge({
      name: 'baton_job_queue_oldest_ready_seconds',
      help: 'How long the oldest ready job of each queue has been due',
      labelNames: ['queue'],
      registers,
    });
    this.#outboxLag = new Gauge({
      name: 'baton_outbox_lag_seconds',
      help: 'How long the oldest due job has been waiting in the outbox for the relay to the job queue',
      registers,
    });
    this.#sessions = new Gauge({
      name: 'baton_sessions',
      help: 'Live sessions (holding or getting a sandbox) by status',
      labelNames: ['status'],
      registers,
    });
    this.#connections = new Gauge({
      name: 'baton_realtime_connections',
      help: 'Open live-dashboard connections on this instance',
      registers,
    });
    this.#documents = new Gauge({
      name: 'baton_realtime_documents',
      help: 'Dashboard documents loaded on this instance',
      registers,
    });
  }

  httpRequest(sample: HttpRequestSample): void {
    const method = knownMethods.has(sample.method) ? sample.method : 'OTHER';
    const statusClass = sample.status >= 100 && sample.status < 600 ? `${Math.floor(sample.status / 100)}xx` : 'other';
    const key = `${method} ${statusClass} ${sample.route}`;
    let child = this.#latencyChildren.get(key);
    if (child === undefined) {
      child = this.#latency.labels({ method, route: sample.route, status_class: statusClass });
      this.#latencyChildren.set(key, child);
    }
    child.observe(sample.seconds);
  }

  step(change: StepChange, kind: string): void {
    this.#steps[change].inc({ kind });
  }

  reaperActions(action: ReaperAction, count: number): void {
    if (count > 0) this.#reaper.inc({ action }, count);
  }

  /** The Prometheus text exposition: reads the scrape-time values, then renders every metric. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    const { readings } = this.#options;
    const realtime = this.#read('realtime', async () => readings.realtime());
    const [queues, lag, sessions, live] = await Promise.all([
      this.#read('job queues', () => readings.jobQueues()),
      this.#read('outbox lag', () => readings.outboxLagSeconds()),
      this.#read('sessions', () => readings.liveSessionsByStatus()),
      realtime,
    ]);
    // A value that could not be read is left out rather than shown stale.
    this.#queueDepth.reset();
    this.#queueOldest.reset();
    for (const queue of queues ?? []) {
      this.#queueDepth.set({ queue: queue.queue, state: 'ready' }, queue.ready);
      this.#queueDepth.set({ queue: queue.queue, state: 'active' }, queue.active);
      this.#queueOldest.set({ queue: queue.queue }, queue.oldestReadySeconds);
    }
    this.#outboxLag.reset();
    if (lag !== undefined) this.#outboxLag.set(lag);
    this.#sessions.reset();
    for (const [status, count] of Object.entries(sessions ?? {})) this.#sessions.set({ status }, count);
    this.#connections.reset();
    this.#documents.reset();
    if (live !== undefined) {
      this.#connections.set(live.connections);
      this.#documents.set(live.documents);
    }
    return { contentType: this.#registry.contentType, body: await this.#registry.metrics() };
  }

  async #read<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read();
    } catch (error) {
      const now = Date.now();
      if (now - (this.#warnedAt.get(what) ?? Number.NEGATIVE_INFINITY) >= warnIntervalMs) {
        this.#warnedAt.set(what, now);
        this.#options.logger.warn(
          { err: error, reading: what },
          'a metric could not be read; the scrape leaves it out',
        );
      }
      return undefined;
    }
  }
}
