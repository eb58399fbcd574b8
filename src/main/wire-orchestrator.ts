import type { Database } from '../adapters/postgres/database.ts';
import { createScheduleStore } from '../adapters/postgres/schedule-store.ts';
import { createTriggerStore } from '../adapters/postgres/trigger-store.ts';
import type { Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import type { RouteTableDeps } from '../app/http/routes/index.ts';
import { githubHookTarget } from '../app/integrations/connections.ts';
import { deliver } from '../app/integrations/deliveries.ts';
import type { IntegrationDeps } from '../app/integrations/integration-deps.ts';
import { createRunCredentials, type RunCredentials } from '../app/integrations/run-credentials.ts';
import { createCelExpressions } from '../app/orchestrator/cel-expressions.ts';
import { Engine, type EngineDeps } from '../app/orchestrator/engine.ts';
import { startOrchestratorWorkers } from '../app/orchestrator/workers.ts';
import type { DashboardWriter } from '../app/realtime/dashboard-writer.ts';
import type { ScheduleDeps } from '../app/schedules/schedule-deps.ts';
import { startScheduleWorkers } from '../app/schedules/schedule-workers.ts';
import type { TriggerDeps } from '../app/triggers/trigger-deps.ts';
import { startTriggerWorkers } from '../app/triggers/trigger-workers.ts';
import { webhookSigningSecret } from '../app/webhooks/signing-secret.ts';
import { parseEgressAllowList, type EgressAllowList } from '../domain/network/address-policy.ts';
import type { Alarms } from '../ports/alarms.ts';
import type { Egress } from '../ports/egress.ts';
import type { Expressions } from '../domain/orchestrator/execution.ts';
import type { JobOutbox } from '../ports/job-outbox.ts';
import type { JobQueue } from '../ports/job-queue.ts';
import type { Logger } from '../ports/logger.ts';
import { createIntegrations } from './integrations.ts';
import type { SessionWiring } from './session-wiring.ts';

// The orchestrator's wiring that Node (startNode) and the Worker (wireWorkerOrchestrator) share:
// runtime-neutral (no Node built-ins, see .dependency-cruiser.cjs). What differs between the two
// runtimes comes in as parameters, so the two composition roots cannot drift apart here.

/** Integrations and the tokens runs get from them, as both runtimes wire them. */
export interface WiredIntegrations {
  readonly integrations: IntegrationDeps;
  readonly runCredentials: RunCredentials;
}

/** GitHub and Drive connections, and the credentials they give runs (sandboxes need these first). */
export function wireIntegrations(config: Config, db: Database, app: AppContext, logger: Logger): WiredIntegrations {
  const integrations = createIntegrations(config, db, app);
  return { integrations, runCredentials: createRunCredentials({ ...integrations, logger }) };
}

/** What the orchestrator needs of the sandboxes a runtime wired. */
export interface OrchestratorSandboxes {
  readonly runner: SessionWiring['runner'];
  readonly routes: SessionWiring['routes'];
  /** Lets the sandbox of a finished execution go; settles (never rejects) when done. */
  release(execution: { id: string }): Promise<void>;
}

/** The parts every runtime has (each builds them its own way) that the orchestrator is wired from. */
export interface OrchestratorParts {
  readonly config: Config;
  readonly db: Database;
  readonly app: AppContext;
  readonly logger: Logger;
  /** The job queue the handlers register on (pg-boss on Node, this invocation's queue adapter in a Worker). */
  readonly jobs: JobQueue;
  readonly outbox: JobOutbox;
  /** Coalesced server writes into dashboards (shared with the session mirror). */
  readonly writer: DashboardWriter;
  readonly integrations: IntegrationDeps;
  readonly sandboxes: OrchestratorSandboxes;
}

/** What differs between the runtimes: passed in by each composition root. */
export interface OrchestratorRuntime {
  /** Builds the egress adapter for webhook notifications over the configured allow list. */
  readonly egress: (allow: EgressAllowList) => Egress;
  /** In-process alarms for schedules (none in a Worker: its cron tick sweeps what is due). */
  readonly alarms: Alarms;
  /** Records step metrics (absent: not recorded). */
  readonly metrics?: EngineDeps['metrics'];
  /** Keeps work started after a commit alive (a Worker may freeze once it answered); absent: it runs on. */
  readonly background?: (task: Promise<unknown>) => void;
  /** Bring every unfinished execution's dashboard view up to date now (a process that starts once). */
  readonly catchUp: boolean;
  /** Re-arm every schedule's timer now (a process that starts once). */
  readonly rearm: boolean;
}

/** The orchestrator as wired: the engine, what the routes need, and how to stop its job handlers. */
export interface WiredOrchestrator {
  readonly engine: Engine;
  readonly expressions: Expressions;
  readonly schedules: ScheduleDeps;
  readonly triggers: TriggerDeps;
  /** What the route table needs to serve executions, sessions, schedules, triggers and integrations. */
  readonly routes: Pick<RouteTableDeps, 'orchestrator' | 'sessions' | 'schedules' | 'triggers' | 'integrations'>;
  /** Stops the orchestrator's job handlers (the schedules' and triggers' stop with the queue). */
  close(): Promise<void>;
}

/**
 * Wires the engine, the orchestrator's job handlers, the release of a finished execution's sandbox,
 * schedules and triggers, registering their handlers on `jobs`.
 */
export async function wireOrchestrator(
  parts: OrchestratorParts,
  runtime: OrchestratorRuntime,
): Promise<WiredOrchestrator> {
  const { config, db, app, logger, jobs, outbox, writer, integrations, sandboxes } = parts;
  const { metrics, background } = runtime;
  const clock = app.clock;
  const expressions = createCelExpressions();
  // The backup of a fast dispatch waits 5 s, longer than the outbox's lookahead (3 s): the relay
  // right after a request leaves it in the outbox, where the fast path withdraws it once started.
  const engine = new Engine({
    unitOfWork: app.unitOfWork,
    executions: app.executions,
    recipes: app.recipes,
    outbox,
    clock,
    expressions,
    logger,
    dispatchBackupDelayMs: 5_000,
    ...(metrics === undefined ? {} : { metrics }),
  });
  const workers = await startOrchestratorWorkers(engine, {
    unitOfWork: app.unitOfWork,
    executions: app.executions,
    recipes: app.recipes,
    jobs,
    outbox,
    writer,
    clock,
    expressions,
    logger,
    runner: sandboxes.runner,
    agentProfiles: app.agentProfiles,
    users: app.users,
    realtime: app.realtime,
    documents: app.documents,
    egress: runtime.egress(parseEgressAllowList(config.egress.allow.join(',')).list),
    webhookSecret: (workspaceId) => webhookSigningSecret(app, workspaceId),
    deliver: (delivery) => deliver({ ...integrations, logger }, delivery),
    ...(background === undefined ? {} : { background }),
    catchUp: runtime.catchUp,
  });
  // A finished execution's sandbox is let go at once (the reaper is the backup after a crash).
  engine.onCommitted((execution, decided) => {
    if (!decided.commands.some((c) => c.kind === 'finished')) return;
    const released = sandboxes.release(execution);
    if (background !== undefined) background(released);
  });
  // Schedules: one durable timer (a delayed job) per schedule, and the runtime's alarm on the dot.
  const schedules: ScheduleDeps = {
    ctx: app,
    schedules: createScheduleStore(db),
    engine,
    outbox,
    alarms: runtime.alarms,
    logger,
    missedAfterMs: config.schedules.misfireMs,
  };
  await startScheduleWorkers(schedules, jobs, { rearm: runtime.rearm });
  // Event triggers: a webhook is stored with its job (the outbox); the job starts or wakes executions.
  const triggerStore = createTriggerStore(db, app.credentials.sealer);
  const triggers: TriggerDeps = {
    ctx: app,
    triggers: triggerStore,
    outbox,
    githubInstallation: (installationId) => githubHookTarget(integrations, installationId),
  };
  await startTriggerWorkers({ ctx: app, triggers: triggerStore, engine, expressions, logger }, jobs);
  return {
    engine,
    expressions,
    schedules,
    triggers,
    routes: { orchestrator: engine, sessions: sandboxes.routes, schedules, triggers, integrations },
    close: () => workers.close(),
  };
}
