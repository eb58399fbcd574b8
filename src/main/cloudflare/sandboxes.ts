import type { Database } from '../../adapters/postgres/database.ts';
import type { Config } from '../../app/config.ts';
import type { AppContext } from '../../app/context.ts';
import type { SessionRouteDeps } from '../../app/http/routes/sessions.ts';
import type { RunCredentials } from '../../app/integrations/run-credentials.ts';
import type { DashboardWriter } from '../../app/realtime/dashboard-writer.ts';
import type { SandboxAgentRunner } from '../../app/sessions/sandbox-agent-runner.ts';
import type { Logger } from '../../ports/logger.ts';
import { sandboxProvisioner, wireSessions } from '../session-wiring.ts';

/** Sessions and sandboxes as one Worker invocation wires them. */
export interface WorkerSandboxes {
  readonly runner: SandboxAgentRunner;
  readonly routes: SessionRouteDeps;
  /** Lets the sandbox of a finished execution go; the promise settles (never rejects) when done. */
  release(execution: { id: string }): Promise<void>;
  /** One reaper pass (the cron tick runs it: a Worker has no interval timer). */
  reap(): Promise<void>;
}

/**
 * Wires sessions for the Worker: the `http` provider (an execution plane at BATON_SANDBOX_URL) or
 * `fly`; `local` runs a plane inside the process, which a Worker cannot, so there it is undefined
 * (the orchestrator is then not wired and its routes answer 503). Callbacks are checked with
 * WebCrypto's HMAC (the core's default).
 */
export function createWorkerSandboxes(
  config: Config,
  db: Database,
  app: AppContext,
  logger: Logger,
  writer: DashboardWriter,
  background: (task: Promise<unknown>) => void,
  credentials?: RunCredentials,
): WorkerSandboxes | undefined {
  const provisioner = sandboxProvisioner(config);
  if (provisioner === undefined) return undefined;
  const sessions = wireSessions({ config, db, app, logger, writer, provisioner, credentials }, { background });
  return {
    runner: sessions.runner,
    routes: sessions.routes,
    release: sessions.release,
    // No grace after a start: a Worker has no start-up during which callbacks went unheard.
    reap: () => sessions.reap(),
  };
}
