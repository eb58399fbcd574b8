import type { CloudflareQueuesJobQueue } from '../../adapters/cloudflare/queues-job-queue.ts';
import { createFetchEgress } from '../../adapters/fetch/fetch-egress.ts';
import type { Database } from '../../adapters/postgres/database.ts';
import type { PostgresJobOutbox } from '../../adapters/postgres/job-outbox.ts';
import type { Config } from '../../app/config.ts';
import type { AppContext } from '../../app/context.ts';
import type { RouteTableDeps } from '../../app/http/routes/index.ts';
import { startDocumentDecisionWorker } from '../../app/orchestrator/document-decisions.ts';
import { DashboardWriter } from '../../app/realtime/dashboard-writer.ts';
import { sweepDueSchedules } from '../../app/schedules/schedule-workers.ts';
import type { Alarms } from '../../ports/alarms.ts';
import type { Logger } from '../../ports/logger.ts';
import { wireIntegrations, wireOrchestrator } from '../wire-orchestrator.ts';
import { createWorkerSandboxes } from './sandboxes.ts';

/** The orchestrator's parts of one Worker invocation. */
export interface WorkerOrchestrator {
  /** What the route table needs to serve executions, sessions, schedules, triggers and integrations. */
  readonly routes: Pick<RouteTableDeps, 'orchestrator' | 'sessions' | 'schedules' | 'triggers' | 'integrations'>;
  /** The cron tick's work: fire the schedules that are due, then one reaper pass. */
  tick(): Promise<{ readonly fired: number }>;
  /**
   * Waits for the work the invocation started after its commits (fast dispatches, sandbox releases,
   * dashboard writes, withdrawn backup jobs) and writes what waits in the dashboard writer. Call it
   * in `waitUntil` before relaying the outbox: a withdrawn backup job must not be relayed first.
   */
  settle(): Promise<void>;
}

/** Said once per isolate, not at every invocation. */
let warnedLocalProvider = false;

/**
 * A Worker has no in-process alarms: a schedule's due timer is fired by its delayed job or by the
 * cron tick's sweep (`sweepDueSchedules`), whichever comes first.
 */
const noAlarms: Alarms = { set: () => undefined, clear: () => undefined };

/**
 * Wires the engine, the job handlers (registered on this invocation's queue adapter, so a batch
 * handed to `jobs.handleBatch` finds them), sessions, schedules, triggers and integrations through
 * `wireOrchestrator`, as `startNode` does, with the Worker's parts. Undefined when sandboxes cannot be
 * reached from a Worker (`BATON_SANDBOX_PROVIDER=local`): those routes then answer 503.
 *
 * Where Node relies on a long-lived process, this differs: the fast path's work is collected and
 * awaited in `settle` (the isolate may freeze once the response is out), the dashboard writer is
 * flushed there instead of waiting for its timers, nothing catches up on start (no start-up), and
 * the reaper and the schedule sweep run on the cron tick instead of timers and alarms.
 */
export async function wireWorkerOrchestrator(input: {
  readonly config: Config;
  readonly db: Database;
  readonly app: AppContext;
  readonly jobs: CloudflareQueuesJobQueue;
  readonly outbox: PostgresJobOutbox;
  readonly logger: Logger;
}): Promise<WorkerOrchestrator | undefined> {
  const { config, db, app, jobs, outbox, logger } = input;
  const pending = new Set<Promise<unknown>>();
  const background = (task: Promise<unknown>): void => {
    const tracked: Promise<unknown> = task
      .catch((error: unknown) => logger.warn({ err: error }, 'work after a commit failed; its job will retry'))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };
  const writer = new DashboardWriter({ realtime: app.realtime, logger, timers: app.timers });
  const { integrations, runCredentials } = wireIntegrations(config, db, app, logger);
  const sandboxes = createWorkerSandboxes(config, db, app, logger, writer, background, runCredentials);
  if (sandboxes === undefined) {
    if (!warnedLocalProvider)
      logger.warn(
        {},
        'BATON_SANDBOX_PROVIDER=local cannot run in a Worker; ' +
          'set http (BATON_SANDBOX_URL) or fly to run executions',
      );
    warnedLocalProvider = true;
    return undefined;
  }
  // Per invocation: nothing to catch up or re-arm (no start-up), and no alarms (the cron tick sweeps).
  const parts = { config, db, app, logger, jobs, outbox, writer, integrations, sandboxes };
  const orchestrator = await wireOrchestrator(parts, {
    egress: (allow) => createFetchEgress({ allow }),
    alarms: noAlarms,
    background,
    catchUp: false,
    rearm: false,
  });
  // Approvals decided inside a dashboard document: its Durable Object sends them here.
  await startDocumentDecisionWorker({ app, engine: orchestrator.engine, logger }, jobs);

  const settle = async (): Promise<void> => {
    // Settled work may start more (a dispatch's commit, a mirror's write): until nothing is left.
    while (pending.size > 0) {
      await Promise.allSettled([...pending]);
      if (pending.size === 0) await writer.flush();
    }
    await writer.flush();
    // Backup jobs the fast path withdrew: the outbox deletes them in a batch of its own.
    await outbox.stop();
  };
  return {
    routes: orchestrator.routes,
    async tick() {
      const fired = await sweepDueSchedules(orchestrator.schedules);
      try {
        await sandboxes.reap();
      } catch (error) {
        logger.warn({ err: error }, 'session reaper pass failed');
      }
      return { fired };
    },
    settle,
  };
}
