import { SandboxUnavailableError } from '../../domain/errors.ts';
import { isUsable, reapDecision, type Session, type SessionPolicy } from '../../domain/sessions/session.ts';
import { canHappen, transitionsInto } from '../../domain/sessions/session-machine.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Realtime } from '../../ports/realtime.ts';
import type { SandboxClient, SandboxProvisioner } from '../../ports/sandboxes.ts';
import type { SandboxRunRecord, SandboxRunStore, SessionStore } from '../../ports/sessions.ts';
import type { SandboxAgentRunner } from './sandbox-agent-runner.ts';
import { fetchRun, fetchThenLose } from './run-recovery.ts';
import type { SandboxEventDeps } from './sandbox-events.ts';
import type { SessionManager } from './session-manager.ts';

/** What the reaper needs. */
export interface ReaperDeps {
  readonly sessions: SessionStore;
  readonly runs: SandboxRunStore;
  readonly manager: Pick<SessionManager, 'lose' | 'stop'>;
  readonly client: SandboxClient;
  readonly runner: Pick<SandboxAgentRunner, 'reportResult'>;
  readonly realtime: Pick<Realtime, 'presence'>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: SessionPolicy;
  /** A run with no news for this long is checked with its sandbox (lost callbacks, a crash mid-report). */
  readonly staleRunMs: number;
  /**
   * No session is lost for a missed lease before this time: after a restart, sandboxes get one lease
   * to get their heartbeats through (they retry callbacks that failed while we were down).
   */
  readonly leaseGraceUntil?: Date;
  /** True when the execution has finished (its session is released; a backup for a crash before that). */
  readonly executionFinished: (executionId: string) => Promise<boolean>;
  /** How fetched run events are applied (as the callbacks that did not arrive would have been). */
  readonly events: SandboxEventDeps;
  /**
   * Asked about a sandbox that missed a heartbeat by half an interval (`heartbeatMs` × 1.5 since its
   * last callback): one the provider says is gone or stopped is lost at once, not a lease later.
   */
  readonly provisioner?: Pick<SandboxProvisioner, 'inspect'>;
  readonly heartbeatMs?: number;
}

/** What one pass did, for logs and tests. */
export interface ReapReport {
  readonly stopped: string[];
  readonly lost: string[];
  readonly failed: string[];
  readonly runsRecovered: string[];
}

/**
 * One pass over live sessions and open runs, at the clock's now: stops idle sessions and those past
 * their lifetime, loses those whose lease ran out, fails stuck provisioning, keeps terminals that
 * people look at, and asks sandboxes about runs that went quiet. Safe to run in every instance at once.
 */
export async function reapOnce(deps: ReaperDeps): Promise<ReapReport> {
  const report: ReapReport = { stopped: [], lost: [], failed: [], runsRecovered: [] };
  const now = deps.clock.now();
  for (const session of await deps.sessions.listLive()) {
    try {
      const open = (await deps.runs.inFlight(session.id)).filter((r) => r.epoch === session.epoch);
      const runsInFlight = open.length;
      const viewers = session.purpose === 'terminal' ? (await deps.realtime.presence(session.dashboardId)).length : 0;
      if (
        session.purpose === 'execution' &&
        session.executionId !== null &&
        runsInFlight === 0 &&
        isUsable(session) &&
        (await deps.executionFinished(session.executionId))
      ) {
        if ((await deps.manager.stop(session, 'its execution finished')) !== undefined) report.stopped.push(session.id);
        continue;
      }
      const decision = reapDecision(session, now.getTime(), { runsInFlight, viewers }, deps.policy);
      if (
        (decision.action === 'keep' || decision.action === 'touch') &&
        (deps.leaseGraceUntil === undefined || now >= deps.leaseGraceUntil)
      ) {
        const gone = await goneAtProvider(deps, session, now.getTime());
        if (gone !== undefined) {
          await fetchThenLose(deps, session, `its sandbox is ${gone} at the provider`);
          report.lost.push(session.id);
          continue;
        }
      }
      switch (decision.action) {
        case 'lose':
          if (deps.leaseGraceUntil !== undefined && now < deps.leaseGraceUntil) break;
          await fetchThenLose(deps, session, decision.reason);
          report.lost.push(session.id);
          break;
        case 'stop':
          if (
            (await deps.manager.stop(session, decision.reason === 'idle' ? 'idle' : 'past its lifetime')) !== undefined
          )
            report.stopped.push(session.id);
          break;
        case 'fail':
          if (
            (await deps.sessions.transition(
              session.id,
              session.epoch,
              transitionsInto('failed'),
              'failed',
              now,
              decision.reason,
            )) !== undefined
          )
            report.failed.push(session.id);
          break;
        case 'touch':
          await deps.sessions.touch(session.id, now);
          break;
        case 'keep':
          if (canHappen('idled', session.status) && runsInFlight === 0 && viewers === 0)
            await deps.sessions.transition(session.id, session.epoch, transitionsInto('idle'), 'idle', now);
          break;
      }
    } catch (error) {
      deps.logger.warn({ err: error, sessionId: session.id }, 'could not reap a session; next pass');
    }
  }
  for (const run of await deps.runs.stale(new Date(now.getTime() - deps.staleRunMs))) {
    try {
      if (await recoverRun(deps, run)) report.runsRecovered.push(run.runKey);
    } catch (error) {
      deps.logger.warn({ err: error, runKey: run.runKey }, 'could not check a quiet run; next pass');
    }
  }
  return report;
}

/**
 * For a usable session whose sandbox is late with its heartbeat (1.5 intervals since its last
 * callback): `gone` or `stopped` when the provider says so; undefined otherwise, or when the
 * provider cannot be asked (the lease decides then).
 */
async function goneAtProvider(
  deps: ReaperDeps,
  session: Session,
  now: number,
): Promise<'gone' | 'stopped' | undefined> {
  if (
    deps.provisioner === undefined ||
    deps.heartbeatMs === undefined ||
    !isUsable(session) ||
    session.sandboxId === null ||
    session.leaseExpiresAt === null
  )
    return undefined;
  const lastHeard = session.leaseExpiresAt - deps.policy.leaseMs;
  if (now - lastHeard <= deps.heartbeatMs * 1.5) return undefined;
  try {
    const status = await deps.provisioner.inspect(session.sandboxId);
    return status === 'gone' || status === 'stopped' ? status : undefined;
  } catch (error) {
    if (!(error instanceof SandboxUnavailableError))
      deps.logger.warn({ err: error, sessionId: session.id }, 'could not ask the provider about a late sandbox');
    return undefined;
  }
}

/**
 * Asks the sandbox about a run that went quiet: the events Baton does not hold yet (applied in
 * order, as their callbacks would have been), then the run's record. Reports what it says. True
 * when it had ended or was lost.
 */
async function recoverRun(deps: ReaperDeps, run: SandboxRunRecord): Promise<boolean> {
  const session = await deps.sessions.get(run.sessionId);
  const lost = async (reason: string) => {
    if (await deps.runs.update(run.runKey, { status: 'lost', error: reason }))
      await deps.runner.reportResult({ key: run.runKey, outcome: 'lost', reason });
    return true;
  };
  if (session === undefined || session.epoch !== run.epoch || !isUsable(session)) return lost('its sandbox is gone');
  let state;
  try {
    state = await fetchRun(deps, session, run);
  } catch (error) {
    if (!(error instanceof SandboxUnavailableError)) throw error;
    await fetchThenLose(deps, session, error.message);
    return true;
  }
  if (state === 'unknown') return lost('its sandbox does not know it');
  if (state === 'running') {
    await deps.runs.update(run.runKey, {});
    return false;
  }
  return true;
}
