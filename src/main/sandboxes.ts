import { join } from 'node:path';
import { startLocalSandboxPlane } from '../adapters/local-sandbox/local-sandbox-plane.ts';
import { isConnectionError, type Database } from '../adapters/postgres/database.ts';
import type { Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import type { Logger } from '../ports/logger.ts';
import type { DashboardWriter } from '../app/realtime/dashboard-writer.ts';
import type { RunCredentials } from '../app/integrations/run-credentials.ts';
import type { Metrics } from '../ports/metrics.ts';
import { createNodeHmac } from '../adapters/node-crypto/node-hmac.ts';
import { sandboxProvisioner, wireSessions, type SessionWiring } from './session-wiring.ts';

/** Sessions and sandboxes as the Node runtime wires them. */
export interface NodeSandboxes {
  readonly runner: SessionWiring['runner'];
  readonly routes: SessionWiring['routes'];
  /** The in-process local execution plane's URL (provider `local`), for tests that read its ledger. */
  readonly localPlaneUrl: string | undefined;
  /** Lets the sandbox of a finished execution go; settles (never rejects) when done. */
  release(execution: { id: string }): Promise<void>;
  /** Starts the reaper (after the orchestrator listens for results). */
  startReaper(): void;
  close(): Promise<void>;
}

/**
 * Wires sessions for Node: the provider the config names (the local stand-in plane runs in this
 * process by default), the stores, the session manager, the agent runner, the callback handler's
 * dependencies, the token signer, and the reaper on a timer.
 */
export async function startNodeSandboxes(
  config: Config,
  db: Database,
  app: AppContext,
  logger: Logger,
  writer: DashboardWriter,
  credentials?: RunCredentials,
  metrics?: Pick<Metrics, 'reaperActions'>,
): Promise<NodeSandboxes> {
  const sc = config.sandboxes;
  const token = sc.provider.token;
  let localPlane: Awaited<ReturnType<typeof startLocalSandboxPlane>> | undefined;
  if (sc.provider.kind === 'local') {
    // resolveConfig lets production get here only with BATON_ALLOW_STAND_IN_PLANE=true: say it on every start.
    if (config.env === 'production')
      logger.warn(
        {},
        'agent steps run on the scripted stand-in execution plane (BATON_SANDBOX_PROVIDER=local): ' +
          'no real agent runs; see docs/execution-plane.md',
      );
    localPlane = await startLocalSandboxPlane({
      dataDir: join(config.dataDir, 'local-sandbox'),
      logger,
      ...(token === undefined ? {} : { token }),
    });
  }
  const provisioner = sandboxProvisioner(config, localPlane?.url);
  if (provisioner === undefined) throw new Error('no sandbox provisioner for this configuration');
  const sessions = wireSessions(
    { config, db, app, logger, writer, provisioner, credentials },
    { hmac: createNodeHmac(), ...(metrics === undefined ? {} : { metrics }) },
  );
  const { runner } = sessions;
  // Also moved on by every pass that fails for want of the database: heartbeats that could not be
  // stored meanwhile say nothing about the sandboxes, so none is lost before it had leases to report.
  let leaseGraceUntil = new Date(app.clock.now().getTime() + sc.leaseMs);
  let timer: ReturnType<typeof setInterval> | undefined;
  let reaping: Promise<unknown> | undefined;
  return {
    runner,
    routes: sessions.routes,
    localPlaneUrl: localPlane?.url,
    release: sessions.release,
    startReaper() {
      const reap = () => {
        reaping ??= sessions
          .reap(leaseGraceUntil)
          .catch((error: unknown) => {
            if (isConnectionError(error))
              leaseGraceUntil = new Date(Math.max(leaseGraceUntil.getTime(), app.clock.now().getTime() + sc.leaseMs));
            logger.warn({ err: error }, 'session reaper pass failed');
          })
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
