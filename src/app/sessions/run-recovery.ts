import { SandboxUnavailableError } from '../../domain/errors.ts';
import type { Session } from '../../domain/sessions/session.ts';
import type { Logger } from '../../ports/logger.ts';
import type { SandboxClient } from '../../ports/sandboxes.ts';
import type { SandboxRunRecord, SandboxRunStore } from '../../ports/sessions.ts';
import type { SandboxAgentRunner } from './sandbox-agent-runner.ts';
import { applyPulledEvents, type SandboxEventDeps } from './sandbox-events.ts';
import type { SessionManager } from './session-manager.ts';

/** What fetching runs from their sandbox needs. */
export interface RunRecoveryDeps {
  readonly runs: SandboxRunStore;
  readonly client: Pick<SandboxClient, 'runEvents' | 'inspectRun'>;
  readonly runner: Pick<SandboxAgentRunner, 'reportResult'>;
  readonly manager: Pick<SessionManager, 'lose'>;
  readonly logger: Logger;
  /** How fetched run events are applied (as the callbacks that did not arrive would have been). */
  readonly events: SandboxEventDeps;
}

/**
 * Fetches what the run's sandbox holds about it: its events after those stored (`eventCursor`),
 * applied in order and deduplicated, then its record; a run that ended with no result among the
 * events (a sandbox that keeps no events) is reported from the record, with its output or its error
 * and retryability. Throws `SandboxUnavailableError` when the sandbox is gone.
 */
export async function fetchRun(
  deps: RunRecoveryDeps,
  session: Session,
  run: SandboxRunRecord,
): Promise<'ended' | 'running' | 'unknown'> {
  const handle = { sandboxId: session.sandboxId ?? '', url: session.sandboxUrl ?? '' };
  const events = await deps.client.runEvents(handle, run.runKey, await deps.runs.eventCursor(run.runKey));
  if (events !== undefined && events.length > 0) await applyPulledEvents(deps.events, run, events);
  const stored = await deps.runs.get(run.runKey);
  if (stored !== undefined && stored.status !== 'dispatched' && stored.status !== 'running') return 'ended';
  const found = await deps.client.inspectRun(handle, run.runKey);
  if (found === undefined) return 'unknown';
  if (found.status === 'running') return 'running';
  if (found.status === 'succeeded') {
    const output = found.output ?? null;
    await deps.runner.reportResult({ key: run.runKey, outcome: 'succeeded', output });
    await deps.runs.update(run.runKey, { status: 'succeeded', output });
  } else if (found.status === 'failed') {
    const error = found.error ?? { message: 'the run failed; its sandbox did not say why', retryable: true };
    await deps.runner.reportResult({
      key: run.runKey,
      outcome: 'failed',
      error: error.message,
      retryable: error.retryable,
    });
    await deps.runs.update(run.runKey, { status: 'failed', error: error.message });
  } else await deps.runs.update(run.runKey, { status: found.status });
  return 'ended';
}

/**
 * Loses the session (its sandbox is gone, or silent past its lease); what the sandbox reported but
 * could not deliver is fetched first (a plane may keep finished runs readable after their sandbox is
 * gone): only runs still open after that are lost. Every path that loses a session with runs in
 * flight goes through here, so no result a sandbox reported is lost with it.
 */
export async function fetchThenLose(deps: RunRecoveryDeps, session: Session, reason: string): Promise<void> {
  for (const run of await deps.runs.inFlight(session.id)) {
    if (run.epoch !== session.epoch) continue;
    await fetchRun(deps, session, run).catch((error: unknown) => {
      if (!(error instanceof SandboxUnavailableError))
        deps.logger.warn({ err: error, runKey: run.runKey }, 'could not fetch a run of a lost sandbox');
    });
  }
  await deps.manager.lose(session, reason);
}
