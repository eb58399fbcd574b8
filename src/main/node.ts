import type { Logger as PinoLogger } from 'pino';
import packageJson from '../../package.json' with { type: 'json' };
import { startDevIdentityProvider } from '../adapters/dev-idp/dev-identity-provider.ts';
import { createHttpServer } from '../adapters/fastify/http-server.ts';
import { ConsoleFiles, type ConsoleSource } from '../adapters/node-console/console-files.ts';
import { consoleDist } from './console-build.ts';
import { HocuspocusRealtime } from '../adapters/hocuspocus/hocuspocus-realtime.ts';
import { bridgeNodeSocket } from '../adapters/hocuspocus/node-socket.ts';
import { createRedisExtension } from '../adapters/hocuspocus/redis-extension.ts';
import { listenAccessChanges } from '../adapters/postgres/access-events.ts';
import { createDocumentStore } from '../adapters/postgres/document-store.ts';
import { createOpenIdClientProvider } from '../adapters/oidc/openid-client-identity-provider.ts';
import { PgBossJobQueue } from '../adapters/pgboss/pg-boss-job-queue.ts';
import { assertReachable, createDatabase, databaseProbe } from '../adapters/postgres/database.ts';
import { migrateToLatest, migrationsProbe } from '../adapters/postgres/migrator.ts';
import { createPostgresRateLimitCounter } from '../adapters/postgres/rate-limit-store.ts';
import { createRedisRateLimitCounter } from '../adapters/redis/rate-limit-store.ts';
import type { Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import { buildRouteTable } from '../app/http/routes/index.ts';
import { authenticate } from '../app/identity/authenticate.ts';
import { callbackUrl } from '../app/identity/login.ts';
import { admitRealtime } from '../app/realtime/connect.ts';
import { DocumentLog } from '../app/realtime/document-log.ts';
import { documentLogProbe } from '../app/system/readiness.ts';
import type { Engine } from '../app/orchestrator/engine.ts';
import { applyDocumentDecision } from '../app/orchestrator/document-decisions.ts';
import { createNodeEgress, type ResolveAll } from '../adapters/node-http/egress-guard.ts';
import { PostgresJobOutbox } from '../adapters/postgres/job-outbox.ts';
import { startNodeSandboxes } from './sandboxes.ts';
import { systemClock } from '../adapters/clock/system-clock.ts';
import { systemTimers } from '../adapters/clock/system-timers.ts';
import { createTimeoutAlarms } from '../adapters/clock/timeout-alarms.ts';
import { DashboardWriter } from '../app/realtime/dashboard-writer.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdentityProvider } from '../ports/identity-provider.ts';
import { createPostgresAppContext, createPostgresCredentials } from './app-context.ts';
import { openCredentialCipher } from './credential-keys.ts';
import { openDatabase } from './database.ts';
import { createNodeMetrics } from './metrics.ts';
import { retentionDeps, startRetention } from './retention-wiring.ts';
import { checkKeysBeforeServing, sealSecretsLeftInClear } from './startup-checks.ts';
import { terminalOrigins } from './terminal-origins.ts';
import { wireIntegrations, wireOrchestrator } from './wire-orchestrator.ts';

/** A running Baton on Node. */
export interface NodeApp {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  /** The use cases' ports as this server wired them (tests arrange data through it). */
  readonly app: AppContext;
  /** The in-process local execution plane's URL when the sandbox provider is `local` (tests read its ledger). */
  readonly localSandboxUrl: string | undefined;
  /** The orchestrator's engine (benchmarks start executions through the use case, in process). */
  readonly engine: Engine;
  /** The Postgres this server uses (the embedded one's URL when DATABASE_URL is unset). */
  readonly databaseUrl: string;
  /** Graceful stop: stop accepting, drain requests and jobs, stop the queue and the database. */
  close(): Promise<void>;
  /** Forced stop (no drain): only stops the embedded Postgres this process owns, so it never outlives us. */
  abort(): Promise<void>;
}

/**
 * The Node composition root: the only place that knows every adapter. Opens the database
 * (DATABASE_URL or the embedded one), migrates, starts the job queue and the HTTP server.
 * If a step fails, everything started before it is stopped again before the error is thrown.
 * Tests may pass a clock, and how webhook hosts are resolved (`resolveHost`, else the system's DNS).
 * The web console is served from `console` (`npm start` builds it first), else from web/dist as it is.
 */
export async function startNode(
  config: Config,
  logger: PinoLogger,
  options: { clock?: Clock; resolveHost?: ResolveAll; console?: ConsoleSource } = {},
): Promise<NodeApp> {
  const cleanups: Array<() => Promise<void>> = [];
  const unwind = async () => {
    // Each step gets a bounded time: a graceful stop must end even when one part hangs (a sandbox
    // or a client that does not answer); what it left is recovered like after a crash.
    for (const [index, cleanup] of cleanups.map((c, i) => [i, c] as const).reverse()) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs)),
      );
      const outcome = await Promise.race([
        cleanup().catch((error: unknown) => logger.error({ err: error, step: index }, 'error while stopping')),
        timeout,
      ]);
      clearTimeout(timer);
      if (outcome === 'timeout')
        logger.warn(
          { step: index, timeoutMs: config.shutdownTimeoutMs },
          'a shutdown step did not finish in time; going on',
        );
    }
  };
  try {
    const database = await openDatabase(config, logger, 'server');
    cleanups.push(() => database.release());
    await assertReachable(database.url);

    const db = createDatabase({ url: database.url, poolMax: config.database.poolMax, logger });
    cleanups.push(() => db.destroy());
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');
    // Stored secrets must open with the configured keys: a missing or wrong key stops the start here.
    const credentialCipher = await openCredentialCipher(config, logger);
    const credentials = createPostgresCredentials(db, credentialCipher, options.clock ?? systemClock);
    await checkKeysBeforeServing({ credentials }, logger);
    // Secrets an older Baton stored in clear (before migration 0013) are sealed before anything is served.
    await sealSecretsLeftInClear({ credentials }, logger);

    const jobs = new PgBossJobQueue({ connectionString: database.url, logger });
    await jobs.start();
    cleanups.push(() => jobs.stop({ timeoutMs: config.shutdownTimeoutMs }));

    let identityProvider: IdentityProvider | undefined;
    if (config.identity.oidc !== undefined) {
      // Production admits an http issuer only on localhost or *.localhost (resolveConfig checks it).
      identityProvider = createOpenIdClientProvider({
        ...config.identity.oidc,
        allowHttp: config.env !== 'production' || config.identity.oidc.issuer.startsWith('http:'),
      });
    } else if (config.identity.devIdp !== undefined) {
      const devIdp = await startDevIdentityProvider({
        port: config.identity.devIdp.port,
        host: config.http.host,
        redirectUris: [callbackUrl(config.http.publicUrl)],
        logger,
      });
      cleanups.push(() => devIdp.close());
      identityProvider = createOpenIdClientProvider({
        issuer: devIdp.issuer,
        clientId: devIdp.clientId,
        clientSecret: devIdp.clientSecret,
        allowHttp: true,
      });
    }

    // Realtime: Hocuspocus needs the app (to admit connections) and the app needs it (REST writes).
    const store = createDocumentStore(db);
    const log = new DocumentLog(store, { windowMs: config.realtime.commitWindowMs, logger, timers: systemTimers });
    let admit: ConstructorParameters<typeof HocuspocusRealtime>[0]['admit'] = () =>
      Promise.reject(new Error('not ready'));
    let onDecision: NonNullable<ConstructorParameters<typeof HocuspocusRealtime>[0]['onDecision']> = () => undefined;
    const realtime = new HocuspocusRealtime({
      admit: (credentials, dashboardId) => admit(credentials, dashboardId),
      onDecision: (decision) => onDecision(decision),
      store,
      log,
      logger,
      compactAfterMs: config.realtime.compactAfterMs,
      compactAtMostMs: config.realtime.compactAfterMs * 10,
      limits: config.realtime.limits,
      extensions: config.realtime.redisUrl === undefined ? [] : [createRedisExtension(config.realtime.redisUrl)],
    });
    cleanups.push(() => realtime.close());
    // Metrics (when BATON_METRICS_TOKEN or BATON_METRICS_PORT is set): recorded by the engine, the reaper
    // and the HTTP edge.
    const { metrics, serve: serveMetrics } = createNodeMetrics(config, db, realtime, logger);
    const app = createPostgresAppContext(db, config, {
      realtime,
      credentialCipher,
      ...(identityProvider === undefined ? {} : { identityProvider }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    admit = (credentials, dashboardId) => admitRealtime(app, credentials, dashboardId);
    const listener = await listenAccessChanges(database.url, (change) => void realtime.revalidate(change), logger, {
      onReconnect: () => void realtime.revalidate('all'),
    });
    cleanups.push(() => listener.close());
    // A safety net for changes missed while the listener was reconnecting.
    const recheck = setInterval(() => void realtime.revalidate('all'), config.realtime.recheckMs);
    recheck.unref();
    cleanups.push(async () => clearInterval(recheck));

    // The orchestrator: the engine, the local stand-in execution plane, and the job workers.
    // Jobs that state changes cause are written with them (the outbox) and relayed to pg-boss.
    const outbox = new PostgresJobOutbox({ db, queue: jobs, logger });
    outbox.start();
    cleanups.push(() => outbox.stop());
    // Server writes into dashboards (executions, sessions, progress), gathered per dashboard.
    const writer = new DashboardWriter({ realtime, logger, timers: app.timers });
    // Integrations: GitHub and Drive connections, tokens for runs, deliveries of notify steps.
    const { integrations, runCredentials } = wireIntegrations(config, db, app, logger);
    // Sessions and sandboxes: agent steps run there (the local stand-in plane by default).
    const sandboxes = await startNodeSandboxes(config, db, app, logger, writer, runCredentials, metrics);
    cleanups.push(() => sandboxes.close());
    // Schedules get an in-process alarm on the dot besides their durable timer (a delayed job).
    const alarms = createTimeoutAlarms(app.clock, app.timers);
    const parts = { config, db, app, logger, jobs, outbox, writer, integrations, sandboxes };
    const orchestrator = await wireOrchestrator(parts, {
      egress: (allow) =>
        createNodeEgress({ allow, ...(options.resolveHost === undefined ? {} : { resolve: options.resolveHost }) }),
      alarms,
      ...(metrics === undefined ? {} : { metrics }),
      catchUp: true,
      rearm: true,
    });
    const engine = orchestrator.engine;
    sandboxes.startReaper();
    // Retention (docs/retention.md): old rows pruned in batches, one pass per interval across instances.
    cleanups.push(startRetention(retentionDeps(config, db, app, logger)));
    // A graceful stop runs in this order: no new results, no new jobs, the last dashboard writes,
    // and only then realtime (which flushes documents) and the database.
    cleanups.push(async () => {
      alarms.clear();
      await outbox.stop();
      await jobs.stop({ timeoutMs: config.shutdownTimeoutMs });
      await orchestrator.close();
    });

    // An approval decided from the dashboard document goes through the same checks as the HTTP route.
    onDecision = ({ approvalKey, access, approved, comment }) => {
      applyDocumentDecision(
        { app, engine, logger },
        { approvalKey, principal: access.principal, approved, comment, decisionId: crypto.randomUUID() },
      ).catch((error: unknown) => {
        logger.warn({ err: error, approvalKey }, 'a decision written in a dashboard could not be applied');
      });
    };

    const routes = buildRouteTable({
      version: packageJson.version,
      probes: [databaseProbe(db), migrationsProbe(db), jobs.probe(), documentLogProbe(log)],
      app,
      ...orchestrator.routes,
    });
    // Rate limits count where every instance sees them: in Redis when there is one, else in Postgres.
    const rateLimitCounter =
      config.realtime.redisUrl === undefined
        ? createPostgresRateLimitCounter(db)
        : createRedisRateLimitCounter(config.realtime.redisUrl);
    cleanups.push(() => rateLimitCounter.close());
    const server = await createHttpServer({
      routes,
      logger,
      bodyLimit: config.http.bodyLimit,
      context: {
        authenticate: (headers) => authenticate(app, headers),
        publicOrigin: new URL(config.http.publicUrl).origin,
      },
      rateLimits: config.rateLimits,
      rateLimitCounter,
      trustProxy: config.trustProxy,
      websocket: {
        path: '/v1/realtime',
        maxPayload: config.realtime.limits.messageBytes,
        onConnection: (socket, request) => bridgeNodeSocket(realtime, socket, request, logger),
      },
      ...(metrics === undefined ? {} : { metrics }),
      console: options.console ?? new ConsoleFiles(consoleDist),
      terminalOrigins: terminalOrigins(config, sandboxes.localPlaneUrl),
    });
    cleanups.push(() => server.close());
    cleanups.push(await serveMetrics(server));
    await server.listen({ port: config.http.port, host: config.http.host });
    const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
    const url = `http://${host}:${config.http.port}`;

    let closing: Promise<void> | undefined;
    return {
      url,
      app,
      localSandboxUrl: sandboxes.localPlaneUrl,
      engine,
      databaseUrl: database.url,
      close: () => (closing ??= unwind()),
      abort: () => database.release(),
    };
  } catch (error) {
    await unwind();
    throw error;
  }
}
