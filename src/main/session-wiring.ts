import { systemClock } from '../adapters/clock/system-clock.ts';
import { FlySandboxProvisioner } from '../adapters/fly/fly-sandbox-provisioner.ts';
import { JoseTokenSigner } from '../adapters/jose/jose-token-signer.ts';
import type { Database } from '../adapters/postgres/database.ts';
import { createSandboxRunStore } from '../adapters/postgres/sandbox-run-store.ts';
import { createSessionStore } from '../adapters/postgres/session-store.ts';
import { createSigningKeyStore } from '../adapters/postgres/signing-key-store.ts';
import { HttpSandboxClient } from '../adapters/sandbox-http/http-sandbox-client.ts';
import { HttpSandboxProvisioner } from '../adapters/sandbox-http/http-sandbox-provisioner.ts';
import type { Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import type { SessionRouteDeps } from '../app/http/routes/sessions.ts';
import type { RunCredentials } from '../app/integrations/run-credentials.ts';
import type { DashboardWriter } from '../app/realtime/dashboard-writer.ts';
import { reapOnce } from '../app/sessions/reaper.ts';
import { fetchThenLose } from '../app/sessions/run-recovery.ts';
import { SandboxAgentRunner } from '../app/sessions/sandbox-agent-runner.ts';
import { createSecretCache } from '../app/sessions/sandbox-events.ts';
import { SessionManager } from '../app/sessions/session-manager.ts';
import { createSessionMirror } from '../app/sessions/session-mirror.ts';
import { isFinishedStatus } from '../domain/orchestrator/execution.ts';
import type { Hmac } from '../ports/hmac.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { SandboxProvisioner } from '../ports/sandboxes.ts';
import type { Session } from '../domain/sessions/session.ts';

/** What differs between the runtimes' session wiring. */
/** The parts every runtime has (each builds them its own way) that sessions are wired from. */
export interface SessionParts {
  readonly config: Config;
  readonly db: Database;
  readonly app: AppContext;
  readonly logger: Logger;
  readonly writer: DashboardWriter;
  readonly provisioner: SandboxProvisioner;
  readonly credentials?: RunCredentials | undefined;
}

/** What differs between the runtimes: passed in by each composition root. */
export interface SessionRuntime {
  /** Checks callback signatures (Node's synchronous HMAC; the core's WebCrypto default elsewhere). */
  readonly hmac?: Hmac;
  /** Receives the dashboard writes a callback causes after its answer (a Worker keeps them alive). */
  readonly background?: (task: Promise<unknown>) => void;
  /** Counts what each reaper pass did (absent: not counted). */
  readonly metrics?: Pick<Metrics, 'reaperActions'>;
}

/** Sessions wired: the runner, the routes' dependencies, and one reaper pass. */
export interface SessionWiring {
  readonly runner: SandboxAgentRunner;
  readonly manager: SessionManager;
  readonly routes: SessionRouteDeps;
  /** Lets the sandbox of a finished execution go; settles (never rejects) when done, the reaper retries. */
  release(execution: { id: string }): Promise<void>;
  /** One pass of the reaper, then the sweep of tokens of runs that ended (`leaseGraceUntil`: none before). */
  reap(leaseGraceUntil?: Date): Promise<void>;
}

/**
 * The provisioner the configuration names, as both runtimes build it: Fly Machines (`fly`), or an
 * execution plane over HTTP at BATON_SANDBOX_URL (`http`) or at `localPlaneUrl` (`local`, the stand-in
 * plane Node runs in process). Undefined for `local` without a plane's URL (a Worker cannot run one).
 */
export function sandboxProvisioner(config: Config, localPlaneUrl?: string): SandboxProvisioner | undefined {
  const sc = config.sandboxes;
  const token = sc.provider.token;
  if (sc.provider.kind === 'fly')
    return new FlySandboxProvisioner({
      apiUrl: sc.provider.apiUrl,
      token: sc.provider.token,
      app: sc.provider.app,
      image: sc.provider.image,
      sandboxPort: sc.provider.sandboxPort,
      ...(sc.provider.region === undefined ? {} : { region: sc.provider.region }),
      timeoutMs: sc.provisionTimeoutMs,
    });
  const baseUrl = sc.provider.kind === 'http' ? sc.provider.url : localPlaneUrl;
  if (baseUrl === undefined) return undefined;
  return new HttpSandboxProvisioner({
    baseUrl,
    startTimeoutMs: sc.provisionTimeoutMs,
    ...(token === undefined ? {} : { token }),
  });
}

/**
 * The session wiring both composition roots share: stores, the callback secret cache (which the
 * manager reads through, so a sandbox's first callbacks find the secret there), the manager, the
 * agent runner, the session mirror, the token signer and the callback handler's dependencies.
 */
export function wireSessions(parts: SessionParts, runtime: SessionRuntime = {}): SessionWiring {
  const { config, db, app, logger, writer, provisioner, credentials } = parts;
  const sc = config.sandboxes;
  const token = sc.provider.token;
  const client = new HttpSandboxClient(sc.provider.kind === 'fly' || token === undefined ? {} : { token });
  const sessionStore = createSessionStore(db, app.credentials.sealer);
  const runs = createSandboxRunStore(db);
  const policy = {
    idleMs: sc.idleMs,
    maxLifetimeMs: sc.maxLifetimeMs,
    leaseMs: sc.leaseMs,
    provisionTimeoutMs: sc.provisionTimeoutMs,
  };
  const secrets = createSecretCache(sessionStore, app.clock);
  const managedSessions = { ...sessionStore, callbackSecret: (id: string) => secrets.get(id, true) };
  const manager = new SessionManager({
    sessions: managedSessions,
    runs,
    provisioner,
    client,
    clock: app.clock,
    timers: app.timers,
    logger,
    policy,
    callbackUrl: sc.callbackUrl,
    heartbeatSeconds: sc.heartbeatSeconds,
    maxPerWorkspace: sc.maxPerWorkspace,
    ...(runtime.background === undefined ? {} : { background: runtime.background }),
  });
  const mirror = createSessionMirror(app, writer);
  // A session lost while dispatching (its sandbox is gone) gets what its runs reported fetched first.
  const loseSession = (session: Session, reason: string): Promise<void> =>
    fetchThenLose({ runs, client, runner, manager, logger, events }, session, reason);
  const runner = new SandboxAgentRunner({
    manager,
    sessions: sessionStore,
    runs,
    client,
    executions: app.executions,
    logger,
    onWaiting: (run, dashboardId, reason) => mirror.waiting(run, dashboardId, reason),
    ...(credentials === undefined ? {} : { credentials }),
    loseSession,
  });
  manager.listen({
    runLost: (run, reason) => runner.reportResult({ key: run.runKey, outcome: 'lost', reason }),
    changed: (session) => {
      secrets.update(session);
      mirror.session(session);
    },
    // The sandbox slot queue: a run that waited is started by the agent runner once its session has
    // a slot, unless its attempt is no longer current; idle sandboxes of executions that only wait
    // (a person, a timer, an event) make room when the workspace is at its limit.
    startWaiting: (request) => runner.start(request),
    stillWanted: (request) => runner.stillCurrent(request),
    onlyWaiting: async (executionId) => (await app.executions.get(executionId))?.state.status === 'waiting',
  });
  const signer = new JoseTokenSigner({
    store: createSigningKeyStore(db, app.credentials.sealer),
    clock: app.clock,
    issuer: config.http.publicUrl,
    rotateAfterMs: sc.signingKeyRotationMs,
  });
  // Nothing waits on this work on Node: a failure (the database away) is logged, not an unhandled rejection.
  const background =
    runtime.background ??
    ((task: Promise<unknown>) =>
      void task.catch((error: unknown) => logger.warn({ err: error }, 'showing a sandbox event failed')));
  const events = {
    sessions: sessionStore,
    secrets,
    ...(runtime.hmac === undefined ? {} : { hmac: runtime.hmac }),
    runs,
    clock: app.clock,
    // Real time, whatever clock a test gives the app: see SandboxEventDeps.wallClock.
    wallClock: systemClock,
    logger,
    runner,
    leaseMs: policy.leaseMs,
    onRunChanged: (run: Parameters<typeof mirror.run>[0], change: Parameters<typeof mirror.run>[1]) =>
      background(mirror.run(run, change)),
  };
  const executionFinished = async (id: string) =>
    isFinishedStatus((await app.executions.get(id))?.state.status ?? 'succeeded');
  return {
    runner,
    manager,
    routes: { sessionStore, manager, client, signer, events },
    release: (execution) =>
      manager
        .release(execution.id)
        .catch((error: unknown) =>
          logger.warn({ err: error, executionId: execution.id }, 'could not release a sandbox; the reaper will'),
        ),
    async reap(leaseGraceUntil) {
      const report = await reapOnce({
        sessions: sessionStore,
        runs,
        manager,
        client,
        runner,
        realtime: app.realtime,
        clock: app.clock,
        logger,
        policy,
        staleRunMs: policy.leaseMs * 2,
        ...(leaseGraceUntil === undefined ? {} : { leaseGraceUntil }),
        executionFinished,
        events,
        provisioner,
        heartbeatMs: sc.heartbeatSeconds * 1000,
      });
      runtime.metrics?.reaperActions('stopped', report.stopped.length);
      runtime.metrics?.reaperActions('lost', report.lost.length);
      runtime.metrics?.reaperActions('failed', report.failed.length);
      runtime.metrics?.reaperActions('run_recovered', report.runsRecovered.length);
      // The safety net of the sandbox slot queue (a release wakes it at once; this catches a crash).
      await manager.sweepQueue();
      // Tokens of runs that ended on another instance (or before a restart) are revoked here.
      await credentials?.sweep();
    },
  };
}
