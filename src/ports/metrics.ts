/** What the session reaper did to a session or a run, as counted by `Metrics.reaperActions`. */
export const reaperActions = ['stopped', 'lost', 'failed', 'run_recovered'] as const;
export type ReaperAction = (typeof reaperActions)[number];

/** How a step moved: it began a visit, ended successfully, or ended failed (after its retries). */
export type StepChange = 'started' | 'finished' | 'failed';

/** One answered HTTP request. Labels stay few: never an id, a raw path or a credential. */
export interface HttpRequestSample {
  /** The request method, e.g. `GET`. */
  readonly method: string;
  /** The route template the router matched, e.g. `/v1/executions/:id`; `unmatched` when none did. */
  readonly route: string;
  /** The status code answered. */
  readonly status: number;
  /** How long it took from the request's arrival to the last byte of the answer. */
  readonly seconds: number;
}

/**
 * Counters and histograms the application records into as things happen (Prometheus on Node; none
 * in the Worker, where Cloudflare's analytics apply). Every member is cheap and never throws:
 * recording must not slow down or break the work it describes.
 */
export interface Metrics {
  /** An HTTP request was answered. */
  httpRequest(sample: HttpRequestSample): void;
  /** A step of an execution changed (`kind` is the step's kind in its recipe, e.g. `agent`). */
  step(change: StepChange, kind: string): void;
  /** The reaper did `action` `count` times in one pass. */
  reaperActions(action: ReaperAction, count: number): void;
}

/** One queue (topic) of the job queue, read when metrics are scraped. */
export interface JobQueueReading {
  /** The topic, e.g. `orchestrator.dispatch` (a fixed name, never an id). */
  readonly queue: string;
  /** Jobs due now that no worker has taken yet. */
  readonly ready: number;
  /** Jobs a worker is handling. */
  readonly active: number;
  /** How long the oldest ready job has been due, in seconds (0 when none is). */
  readonly oldestReadySeconds: number;
}

/**
 * Values read on each scrape rather than recorded as they change: cheap grouped counts in Postgres
 * and in-memory sizes. Each may reject (the database is away); the scrape then omits that value.
 */
export interface MetricReadings {
  /** Every queue of the job queue. */
  jobQueues(): Promise<readonly JobQueueReading[]>;
  /** How long the oldest due job has been waiting in the outbox for the relay, in seconds (0 when none). */
  outboxLagSeconds(): Promise<number>;
  /** Live sessions (holding or getting a sandbox) by status; statuses with none may be absent. */
  liveSessionsByStatus(): Promise<Readonly<Record<string, number>>>;
  /** Open live-dashboard connections and loaded documents in this process. */
  realtime(): { readonly connections: number; readonly documents: number };
}

/** Records nothing: the runtime has no metrics endpoint, or it is not configured. */
export const noMetrics: Metrics = {
  httpRequest: () => undefined,
  step: () => undefined,
  reaperActions: () => undefined,
};
