import { SandboxLimitError, SandboxUnavailableError } from '../../domain/errors.ts';
import { SandboxRunRefusedError } from '../../domain/sessions/run-refused.ts';
import type { Session } from '../../domain/sessions/session.ts';
import type { AgentRunner, RunRequest, RunResult } from '../../ports/agent-runner.ts';
import type { ExecutionStore } from '../../ports/executions.ts';
import type { Logger } from '../../ports/logger.ts';
import type { SandboxClient } from '../../ports/sandboxes.ts';
import type { SandboxRunStore, SessionStore } from '../../ports/sessions.ts';
import { SandboxQueuedError, type SessionManager } from './session-manager.ts';
import { IntegrationError } from '../../domain/integrations/errors.ts';
import { runsAttempt } from '../../domain/orchestrator/execution.ts';
import type { RunCredentials } from '../integrations/run-credentials.ts';

/** What the runner needs. */
export interface SandboxAgentRunnerDeps {
  readonly manager: SessionManager;
  readonly sessions: SessionStore;
  readonly runs: SandboxRunStore;
  readonly client: SandboxClient;
  readonly executions: Pick<ExecutionStore, 'get'>;
  readonly logger: Logger;
  /** Told when a run cannot get a sandbox yet (the workspace is at its limit): to show it waits. */
  readonly onWaiting?: (run: RunRequest, dashboardId: string, reason: string) => void;
  /** Mints the short-lived credentials of runs that ask for them (a GitHub scope); revokes them at the end. */
  readonly credentials?: RunCredentials;
  /**
   * Loses a session whose sandbox turned out to be gone, after fetching what its runs reported
   * (`fetchThenLose`); without it, the session is lost at once.
   */
  readonly loseSession?: (session: Session, reason: string) => Promise<void>;
}

/**
 * Runs agent steps in sandboxes: the execution's session (created on demand, reused by its later
 * steps), a run started by its idempotency key, and results that come back as signed callbacks
 * (`reportResult`, from the callback handler) or as a lost sandbox (`runLost`).
 */
export class SandboxAgentRunner implements AgentRunner {
  readonly #deps: SandboxAgentRunnerDeps;
  #handler: (result: RunResult) => Promise<void> = async () => undefined;
  /** Reports under way, by run key (see `reportResult`). */
  readonly #reporting = new Map<string, Promise<void>>();

  constructor(deps: SandboxAgentRunnerDeps) {
    this.#deps = deps;
  }

  onResult(handler: (result: RunResult) => Promise<void>): void {
    this.#handler = handler;
  }

  /**
   * Passes a result to the orchestrator (callbacks, fetched events, lost sandboxes, the reaper's
   * findings), once: a result may come both ways (a callback retried while the same events were
   * fetched), and each report would be an entry in the execution's history. Reports of one key are
   * serialized in this process, and the engine drops one whose attempt the execution no longer
   * waits for (it was reported already, or the step moved on).
   */
  async reportResult(result: RunResult): Promise<void> {
    const previous = this.#reporting.get(result.key) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.#report(result));
    this.#reporting.set(result.key, current);
    try {
      await current;
    } finally {
      if (this.#reporting.get(result.key) === current) this.#reporting.delete(result.key);
    }
  }

  async #report(result: RunResult): Promise<void> {
    // The engine records a result only while its step runs that attempt (from the state it holds,
    // checked by its compare-and-set), so no read is spent here on the hot path.
    await this.#handler(result);
    // The run is over: its token (if it got one) goes, whichever instance started it.
    await this.#deps.credentials?.release(result.key);
  }

  async start(run: RunRequest): Promise<void> {
    const { manager, runs, client } = this.#deps;
    const owner =
      run.workspaceId !== undefined && run.dashboardId !== undefined
        ? { workspaceId: run.workspaceId, dashboardId: run.dashboardId }
        : await this.#deps.executions.get(run.executionId);
    if (owner === undefined) return;
    const sessionOwner = {
      workspaceId: owner.workspaceId,
      dashboardId: owner.dashboardId,
      executionId: run.executionId,
      purpose: 'execution',
    } as const;
    // A sandbox this process does not hold yet may take a while (another instance's provisioning,
    // one left by a dead instance): the attempt may have timed out meanwhile.
    const mayWait = !manager.holds(sessionOwner);
    let ready;
    try {
      ready = await manager.ensureReady(sessionOwner, run);
    } catch (error) {
      // The dashboard says why the step does not start. A queued run is started by the queue when a
      // slot frees (docs/sessions.md); anything else is retried with the dispatch.
      if (error instanceof SandboxLimitError) this.#deps.onWaiting?.(run, owner.dashboardId, error.message);
      if (error instanceof SandboxQueuedError) return;
      throw error;
    }
    const { session, handle } = ready;
    // A superseded attempt must not start: every attempt that waited for the same sandbox would run
    // the step again, each result thrown away (for an agent, the work and its side effects again).
    if (mayWait && !(await this.stillCurrent(run))) {
      this.#deps.logger.info({ runKey: run.key }, 'not starting a run whose attempt ended while its sandbox was made');
      return;
    }
    const record = await runs.dispatched({
      runKey: run.key,
      sessionId: session.id,
      epoch: session.epoch,
      executionId: run.executionId,
      stepId: run.stepId,
      attempt: run.attempt,
      maxCostUsd: run.maxCostUsd ?? null,
    });
    // A key asked again (the backup job): it ended and was reported, or it belongs to a lost sandbox.
    if (record.status !== 'dispatched' && record.status !== 'running') return;
    if (record.sessionId !== session.id || record.epoch !== session.epoch) {
      // Dispatched to an earlier sandbox epoch, which is gone: a new attempt gets a new key.
      if (await runs.update(run.key, { status: 'lost', error: 'its sandbox was replaced' }))
        await this.reportResult({ key: run.key, outcome: 'lost', reason: 'its sandbox was replaced' });
      return;
    }
    let credentials: Record<string, string> | undefined;
    if (run.github !== undefined && this.#deps.credentials !== undefined && owner.workspaceId !== undefined) {
      try {
        credentials = {
          ...(await this.#deps.credentials.issue({ key: run.key, workspaceId: owner.workspaceId, github: run.github })),
        };
      } catch (error) {
        if (!(error instanceof IntegrationError)) throw error;
        // The step shows why (a revoked installation, a repository outside it); retryable
        // only when GitHub was unreachable.
        if (await runs.update(run.key, { status: 'failed', error: error.message }))
          await this.reportResult({
            key: run.key,
            outcome: 'failed',
            error: error.message,
            retryable: error.retryable,
          });
        return;
      }
    }
    try {
      const subAgents = run.subAgents === undefined || run.subAgents.length === 0 ? {} : { subAgents: run.subAgents };
      await client.startRun(handle, {
        idempotencyKey: run.key,
        profile: run.profile,
        ...subAgents,
        prompt: run.prompt,
        inputs: run.input,
        timeoutMs: run.timeoutMs,
        ...(credentials === undefined ? {} : { credentials }),
      });
    } catch (error) {
      if (error instanceof SandboxRunRefusedError) {
        // The plane's final word on this run: the step fails now with its message (in the history,
        // the API and the dashboard), not after the run is taken for lost again and again.
        this.#deps.logger.info({ runKey: run.key, err: error }, 'the execution plane refused a run');
        if (await runs.update(run.key, { status: 'failed', error: error.message }))
          await this.reportResult({
            key: run.key,
            outcome: 'failed',
            error: error.message,
            retryable: error.retryable,
          });
        return;
      }
      if (!(error instanceof SandboxUnavailableError)) throw error;
      // The sandbox is gone: the session is lost, which reports its in-flight runs lost; if another
      // process had already ended it, this run is reported here.
      await (this.#deps.loseSession ?? ((lost: Session, reason: string) => manager.lose(lost, reason)))(
        session,
        error.message,
      );
      if (await runs.update(run.key, { status: 'lost', error: error.message }))
        await this.reportResult({ key: run.key, outcome: 'lost', reason: error.message });
    }
  }

  /**
   * Whether the run's execution goes on and its step still runs this attempt (one read of the
   * execution). The slot queue asks it too, before it starts a run that waited.
   */
  async stillCurrent(run: RunRequest): Promise<boolean> {
    const state = (await this.#deps.executions.get(run.executionId))?.state;
    return state !== undefined && runsAttempt(state, run.stepId, run.attempt);
  }

  async cancel(key: string): Promise<void> {
    const run = await this.#deps.runs.get(key);
    if (run === undefined) return;
    const session = await this.#deps.sessions.get(run.sessionId);
    if (
      session === undefined ||
      session.epoch !== run.epoch ||
      session.sandboxId === null ||
      session.sandboxUrl === null
    )
      return;
    await this.#deps.runs.update(key, { status: 'cancelled' });
    await this.#deps.client
      .cancelRun({ sandboxId: session.sandboxId, url: session.sandboxUrl }, key)
      .catch((error: unknown) => {
        // A sandbox that is gone has nothing left to cancel.
        if (!(error instanceof SandboxUnavailableError)) throw error;
      });
  }
}
