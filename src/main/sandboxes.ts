import { join } from 'node:path';
import { FlySandboxProvisioner } from '../adapters/fly/fly-sandbox-provisioner.ts';
import { JoseTokenSigner } from '../adapters/jose/jose-token-signer.ts';
import { startLocalSandboxPlane } from '../adapters/local-sandbox/local-sandbox-plane.ts';
import type { Database } from '../adapters/postgres/database.ts';
import { createSandboxRunStore } from '../adapters/postgres/sandbox-run-store.ts';
import { createSessionStore } from '../adapters/postgres/session-store.ts';
import { createSigningKeyStore } from '../adapters/postgres/signing-key-store.ts';
import { HttpSandboxClient } from '../adapters/sandbox-http/http-sandbox-client.ts';
import { HttpSandboxProvisioner } from '../adapters/sandbox-http/http-sandbox-provisioner.ts';
import type { Config } from '../app/config.ts';
import { isFinishedStatus } from '../domain/orchestrator/execution.ts';
import type { AppContext } from '../app/context.ts';
import type { SessionRouteDeps } from '../app/http/routes/sessions.ts';
import { reapOnce } from '../app/sessions/reaper.ts';
import { createSecretCache } from '../app/sessions/sandbox-events.ts';
import { SandboxAgentRunner } from '../app/sessions/sandbox-agent-runner.ts';
import { SessionManager } from '../app/sessions/session-manager.ts';
import { createSessionMirror } from '../app/sessions/session-mirror.ts';
import type { Logger } from '../ports/logger.ts';
import type { DashboardWriter } from '../app/realtime/dashboard-writer.ts';
import type { SandboxProvisioner } from '../ports/sandboxes.ts';
import type { RunCredentials } from '../app/integrations/run-credentials.ts';
import { createNodeHmac } from '../adapters/node-crypto/node-hmac.ts';

/** Sessions and sandboxes as the Node runtime wires them. */
export interface NodeSandboxes {
  readonly runner: SandboxAgentRunner;
  readonly routes: SessionRouteDeps;
  /** The in-process local execution plane's URL (provider `local`), for tests that read its ledger. */
  readonly localPlaneUrl: string | undefined;
  /** Lets the sandbox of a finished execution go. */
  release(execution: { id: string }): void;
  /** Starts the reaper (after the orchestrator listens for results). */
  startReaper(): void;
  close(): Promise<void>;
}

/**
 * Wires sessions for Node: the provider the config names (the local stand-in plane runs in this
 * process by default), the stores, the session manager, the agent runner, the callback handler's
 * dependencies, the token signer, and the reaper on a timer.
 */
export async function startNodeSandboxes(config: Config, db: Database, app: AppContext, logger: Logger, writer: DashboardWriter, credentials?: RunCredentials): Promise<NodeSandboxes> {
  const sc = config.sandboxes;
  let localPlane: Awaited<ReturnType<typeof startLocalSandboxPlane>> | undefined;
  let provisioner: SandboxProvisioner;
  const token = sc.provider.token;
  if (sc.provider.kind === 'fly') {
    provisioner = new FlySandboxProvisioner({ apiUrl: sc.provider.apiUrl, token: sc.provider.token, app: sc.provider.app, image: sc.provider.image, sandboxPort: sc.provider.sandboxPort, ...(sc.provider.region === undefined ? {} : { region: sc.provider.region }), timeoutMs: sc.provisionTimeoutMs });
  } else {
    const url = sc.provider.kind === 'http' ? sc.provider.url : (localPlane = await startLocalSandboxPlane({ dataDir: join(config.dataDir, 'local-sandbox'), logger, ...(token === undefined ? {} : { token }) })).url;
    provisioner = new HttpSandboxProvisioner({ baseUrl: url, startTimeoutMs: sc.provisionTimeoutMs, ...(token === undefined ? {} : { token }) });
  }
  const client = new HttpSandboxClient(sc.provider.kind === 'fly' || token === undefined ? {} : { token });
  const sessionStore = createSessionStore(db);
  const runs = createSandboxRunStore(db);
  const policy = { idleMs: sc.idleMs, maxLifetimeMs: sc.maxLifetimeMs, leaseMs: sc.heartbeatSeconds * 3_000, provisionTimeoutMs: sc.provisionTimeoutMs };
  const secrets = createSecretCache(sessionStore);
  // The manager reads a session's secret to hand it to the sandbox: through the cache, so the
  // sandbox's first callbacks find it there.
  const managedSessions = { ...sessionStore, callbackSecret: (id: string) => secrets.get(id, true) };
  const manager = new SessionManager({ sessions: managedSessions, runs, provisioner, client, clock: app.clock, logger, policy, callbackUrl: `${config.http.publicUrl}/v1/sandbox-events`, heartbeatSeconds: sc.heartbeatSeconds, maxPerWorkspace: sc.maxPerWorkspace });
  const mirror = createSessionMirror(app, writer);
  const runner = new SandboxAgentRunner({ manager, sessions: sessionStore, runs, client, executions: app.executions, logger, onWaiting: (run, dashboardId, reason) => mirror.waiting(run, dashboardId, reason), ...(credentials === undefined ? {} : { credentials }) });
  manager.listen({
    runLost: (run, reason) => runner.reportResult({ key: run.runKey, outcome: 'lost', reason }),
    changed: (session) => {
      secrets.update(session);
      mirror.session(session);
    },
  });
  const signer = new JoseTokenSigner({ store: createSigningKeyStore(db), clock: app.clock, issuer: config.http.publicUrl, rotateAfterMs: sc.signingKeyRotationMs });
  const events = { sessions: sessionStore, secrets, hmac: createNodeHmac(), runs, clock: app.clock, logger, runner, leaseMs: policy.leaseMs, onRunChanged: (run: Parameters<typeof mirror.run>[0], change: Parameters<typeof mirror.run>[1]) => void mirror.run(run, change) };

  const executionFinished = async (id: string) => isFinishedStatus((await app.executions.get(id))?.state.status ?? 'succeeded');
  const leaseGraceUntil = new Date(app.clock.now().getTime() + policy.leaseMs);
  let timer: ReturnType<typeof setInterval> | undefined;
  let reaping: Promise<unknown> | undefined;
  return {
    runner,
    routes: { sessionStore, manager, client, signer, events },
    localPlaneUrl: localPlane?.url,
    release(execution) {
      manager.release(execution.id).catch((error: unknown) => logger.warn({ err: error, executionId: execution.id }, 'could not release a sandbox; the reaper will'));
    },
    startReaper() {
      const reap = () => {
        reaping ??= reapOnce({ sessions: sessionStore, runs, manager, client, runner, realtime: app.realtime, clock: app.clock, logger, policy, staleRunMs: policy.leaseMs * 2, leaseGraceUntil, executionFinished })
          // Tokens of runs that ended on another instance (or before a restart) are revoked here.
          .then(async () => credentials?.sweep())
          .catch((error: unknown) => logger.warn({ err: error }, 'session reaper pass failed'))
          .finally(() => (reaping = undefined));
      };
      timer = setInterval(reap, sc.reaperIntervalMs);
      timer.unref();
    },
    async close() {
      clearInterval(timer);
      await reaping;
      await localPlane?.close();
    },
  };
}
