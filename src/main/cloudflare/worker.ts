import { createFetchHandler } from '../../adapters/fetch/fetch-router.ts';
import { jsonError } from '../../adapters/cloudflare/durable-object-realtime.ts';
import type { MessageBatchLike } from '../../adapters/cloudflare/queues-job-queue.ts';
import { ConfigError, type Config } from '../../app/config.ts';
import { errorBody } from '../../app/http/errors.ts';
import { authenticate } from '../../app/identity/authenticate.ts';
import type { Logger } from '../../ports/logger.ts';
import { pruneOnce } from '../../app/system/retention.ts';
import { retentionDeps } from '../retention-wiring.ts';
import { sealSecretsLeftInClear } from '../startup-checks.ts';
import { checkWorkerKeys, openWorkerApp, relayOutbox, type WorkerApp } from './app-context.ts';
import { createConsoleLogger } from './console-logger.ts';
import { assetsOf, isApiPath, serveConsole } from './console.ts';
import { workerConfig, type WorkerEnv } from './env.ts';
import { forwardRealtime } from './realtime.ts';

// workerd finds Durable Object classes among the entry module's exports.
export { DashboardObject } from './dashboard-object.ts';

/** The part of the Workers `ExecutionContext` the entry uses. */
export interface ExecutionContextLike {
  /** Keeps the invocation alive until `promise` settles, after the response has gone out. */
  waitUntil(promise: Promise<unknown>): void;
}

/** What a Cron Trigger invocation receives (the part we use). */
export interface ScheduledControllerLike {
  /** The cron expression that fired, e.g. `* * * * *`. */
  readonly cron: string;
  /** When it was due, in epoch milliseconds. */
  readonly scheduledTime: number;
}

/** Methods whose requests may have written jobs into the outbox. */
const writes = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The Baton Worker (deploy/cloudflare/wrangler.toml): each entry point only turns an event into app
 * calls over a per-invocation composition (`openWorkerApp`), and closes its database connection
 * in `waitUntil`.
 */
export default {
  /** HTTP: the route table through the fetch router; after a write, the outbox is relayed. */
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContextLike): Promise<Response> {
    // Live dashboards: the WebSocket goes to the dashboard's Durable Object, which admits it.
    const realtime = forwardRealtime(request, env);
    if (realtime !== undefined) return realtime;
    // The console (every path but the API's): its page with a CSP computed per request, its files.
    const assets = assetsOf(env);
    if (assets !== undefined && !isApiPath(new URL(request.url).pathname)) {
      const configured = configure(env);
      return 'failure' in configured ? configured.failure : serveConsole(request, assets, configured.config);
    }
    // Liveness says the isolate runs: it asks no database, so it skips the credential-key check.
    const opened = await open(env, { checkKeys: new URL(request.url).pathname !== '/healthz' });
    if ('failure' in opened) return opened.failure;
    const { worker, logger } = opened;
    const handle = createFetchHandler({
      routes: worker.routes,
      logger,
      bodyLimit: worker.config.http.bodyLimit,
      context: {
        authenticate: (headers) => authenticate(worker.app, headers),
        publicOrigin: new URL(worker.config.http.publicUrl).origin,
      },
    });
    // The handler answers every failure itself (it never throws).
    const response = await handle(request);
    // Jobs a successful write committed go to the queue now rather than at the next cron tick.
    ctx.waitUntil(finish(worker, logger, writes.has(request.method) && response.status < 400));
    return response;
  },

  /**
   * Queues: one batch of jobs, run by the handlers this invocation registered on the queue adapter
   * (the orchestrator's, the schedules', the triggers'); then the work they started after their
   * commits is settled and what they wrote into the outbox relayed.
   */
  async queue(batch: MessageBatchLike, env: WorkerEnv, ctx: ExecutionContextLike): Promise<void> {
    const opened = await open(env);
    if ('failure' in opened) throw new Error('The Worker is misconfigured; see its logs');
    const { worker, logger } = opened;
    try {
      await worker.jobs.handleBatch(batch);
    } finally {
      ctx.waitUntil(finish(worker, logger, true));
    }
  },

  /**
   * Cron Trigger (every minute): fires the schedules that are due (a Worker has no in-process
   * alarms), runs one pass of the session reaper, and relays the outbox, so delayed jobs reach the
   * queue once they are almost due and jobs a crashed invocation left behind are not stuck; then
   * prunes old rows when a retention pass is due.
   */
  async scheduled(controller: ScheduledControllerLike, env: WorkerEnv, ctx: ExecutionContextLike): Promise<void> {
    const opened = await open(env);
    if ('failure' in opened) throw new Error('The Worker is misconfigured; see its logs');
    const { worker, logger } = opened;
    try {
      const ticked = await worker.orchestrator?.tick();
      if (ticked !== undefined && ticked.fired > 0)
        logger.info({ fired: ticked.fired, cron: controller.cron }, 'fired due schedules');
      await worker.orchestrator?.settle();
      const moved = await relayOutbox(worker);
      if (moved > 0) logger.info({ moved, cron: controller.cron }, 'relayed jobs from the outbox');
      // A Worker has no start-up: secrets an older version stored in clear are sealed here (Node seals
      // them before it serves), after `open` checked the keys, so a wrong key never seals anything.
      if (worker.app.credentials.cipher.keyIds.length > 0) await sealSecretsLeftInClear(worker.app, logger);
      // Retention (docs/retention.md): every tick asks; the lease in Postgres runs one pass per
      // BATON_RETENTION_INTERVAL_MINUTES across all invocations. It logs what it pruned.
      await pruneOnce(retentionDeps(worker.config, worker.db, worker.app, logger)).catch((error: unknown) =>
        logger.warn({ err: error }, 'retention pass failed; a later tick tries again'),
      );
    } finally {
      ctx.waitUntil(worker.close());
    }
  },
};

type Opened = { readonly worker: WorkerApp; readonly logger: Logger } | { readonly failure: Response };

/**
 * The configuration and the composition of one invocation, and (`checkKeys`, the default) the check
 * that the credential keys open what is stored, once per isolate. A bad configuration or a wrong key
 * is an operator's mistake, not the caller's: it is logged with every problem and answered with a 503
 * that names none of the values (they may be secrets).
 */
async function open(env: WorkerEnv, options: { readonly checkKeys: boolean } = { checkKeys: true }): Promise<Opened> {
  const configured = configure(env);
  if ('failure' in configured) return configured;
  const { config } = configured;
  const logger = createConsoleLogger(config.log.level);
  const worker = await openWorkerApp(env, config, logger);
  const keys = options.checkKeys ? await checkWorkerKeys(worker, logger) : 'ok';
  if (keys === 'ok') return { worker, logger };
  await worker
    .close()
    .catch((error: unknown) => logger.warn({ err: error }, 'could not close the database connection'));
  const notChecked = errorBody('not_ready', 'This Baton could not check its credential keys yet; try again shortly');
  return { failure: jsonError(503, keys === 'refused' ? notConfigured : notChecked) };
}

/** The configuration, or the 503 a bad one gets (logged with every problem). */
function configure(env: WorkerEnv): { readonly config: Config } | { readonly failure: Response } {
  try {
    return { config: workerConfig(env) };
  } catch (error) {
    console.error(
      JSON.stringify({
        level: 'error',
        msg: 'invalid Worker configuration',
        problems: error instanceof ConfigError ? error.problems : [{ message: String(error) }],
      }),
    );
    return { failure: jsonError(503, notConfigured) };
  }
}

/** The answer while the Worker is misconfigured (the problems are in its logs). */
const notConfigured = errorBody(
  'not_configured',
  'This Baton is not configured correctly; the operator can find the problems in its logs',
);

/**
 * After an invocation: tell dashboards of the access changes it made, relay what it committed (when
 * it may have), settle the work it started after its commits (fast dispatches, dashboard writes,
 * withdrawn backup jobs: the isolate may freeze once nothing keeps it alive), relay what that work
 * committed, then close the connection.
 * A fast dispatch's backup job is not relayed by the first pass: it is due later than the
 * outbox's lookahead, and withdrawn by the time of the second.
 */
async function finish(worker: WorkerApp, logger: Logger, relay: boolean): Promise<void> {
  try {
    // Connections whose access this invocation changed are checked again now (it never throws).
    await worker.accessEvents?.deliver();
    if (relay) await relayOutbox(worker);
    await worker.orchestrator?.settle();
    if (relay && worker.orchestrator !== undefined) await relayOutbox(worker);
  } catch (error) {
    // The next cron tick relays them: the jobs are safe in the outbox.
    logger.warn({ err: error }, 'could not relay jobs from the outbox; the cron tick will');
  } finally {
    await worker
      .close()
      .catch((error: unknown) => logger.warn({ err: error }, 'could not close the database connection'));
  }
}
