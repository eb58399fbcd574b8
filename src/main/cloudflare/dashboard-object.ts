import { systemTimers } from '../../adapters/clock/system-timers.ts';
import { dashboardObjectClass, type DashboardRoomOptions } from '../../adapters/cloudflare/dashboard-object.ts';
import { CloudflareQueuesJobQueue } from '../../adapters/cloudflare/queues-job-queue.ts';
import { createDatabase } from '../../adapters/postgres/database.ts';
import { createDocumentStore } from '../../adapters/postgres/document-store.ts';
import { PostgresJobOutbox } from '../../adapters/postgres/job-outbox.ts';
import { createLiveConnectionStore } from '../../adapters/postgres/live-connection-store.ts';
import { createUnitOfWork } from '../../adapters/postgres/unit-of-work.ts';
import { documentDecisionTopic, type DocumentDecision } from '../../app/orchestrator/document-decisions.ts';
import { admitRealtime } from '../../app/realtime/connect.ts';
import { DocumentLog } from '../../app/realtime/document-log.ts';
import { createPostgresAppContext } from '../app-context.ts';
import { createConsoleLogger } from './console-logger.ts';
import { workerConfig, type WorkerEnv } from './env.ts';
import { workerRealtime } from './realtime.ts';

/**
 * The composition of one dashboard's Durable Object: the document store and its group-committed
 * log over a small pool of its own (the object lives across requests and keeps writing after
 * them: the log's window, compaction), admission by the app's `admitRealtime` over a database
 * connection opened for that admission and closed after it, as a Worker request does, the
 * live-connection registry, and decisions written in the document sent to the job queue.
 */
export function composeDashboardRoom(env: WorkerEnv): DashboardRoomOptions {
  const config = workerConfig(env);
  const logger = createConsoleLogger(config.log.level, { component: 'dashboard-object' });
  const db = createDatabase({
    url: config.database.url ?? '',
    poolMax: 2,
    logger,
    applicationName: 'baton-dashboard-object',
  });
  const store = createDocumentStore(db);
  // Decisions written into an approval go to the Worker's queue consumer, which has the engine:
  // into the outbox first (durable), then relayed at once; if that relay fails, the cron tick's does.
  const jobs = new CloudflareQueuesJobQueue({ queue: env.JOBS, logger });
  const outbox = new PostgresJobOutbox({ db, queue: jobs.outboxRelay(), logger });
  const unitOfWork = createUnitOfWork(db);
  return {
    onDecision({ approvalKey, access, approved, comment }) {
      const decision: DocumentDecision = {
        approvalKey,
        principal: access.principal,
        approved,
        comment,
        decisionId: crypto.randomUUID(),
      };
      unitOfWork
        .run((tx) => jobs.send(documentDecisionTopic, decision, { tx }))
        .then(() => outbox.relayOnce())
        .catch((error: unknown) =>
          logger.warn({ err: error, approvalKey }, 'could not hand over a decision written in a dashboard'),
        );
    },
    store,
    log: new DocumentLog(store, { windowMs: config.realtime.commitWindowMs, logger, timers: systemTimers }),
    logger,
    compactAfterMs: config.realtime.compactAfterMs,
    compactAtMostMs: config.realtime.compactAfterMs * 10,
    recheckMs: config.realtime.recheckMs,
    limits: config.realtime.limits,
    connections: createLiveConnectionStore(db),
    async admit(credentials, dashboardId) {
      const admissionDb = createDatabase({ url: config.database.url ?? '', poolMax: 1, logger });
      try {
        const app = createPostgresAppContext(admissionDb, config, { realtime: workerRealtime(env) });
        return await admitRealtime(app, credentials, dashboardId);
      } finally {
        await admissionDb
          .destroy()
          .catch((error: unknown) => logger.warn({ err: error }, 'could not close the admission connection'));
      }
    },
  };
}

/**
 * The dashboard Durable Object (binding DASHBOARDS in deploy/cloudflare/wrangler.toml; one object
 * per dashboard, `idFromName(dashboardId)`). The Worker's bundle exports it.
 */
export const DashboardObject = dashboardObjectClass(composeDashboardRoom);
