import type { AgentProfileStore } from '../../ports/agent-profiles.ts';
import type { AgentRunner, RunResult } from '../../ports/agent-runner.ts';
import type { Realtime } from '../../ports/realtime.ts';
import type { DocumentStore } from '../../ports/document-store.ts';
import { postSystemNote } from '../realtime/items.ts';
import { parseRunKey, topics, type CancelJob, type DispatchJob, type Engine, type EngineDeps, type MirrorJob, type NotifyJob, type TimerJob } from './engine.ts';
import { writeMirror } from './dashboard-mirror.ts';

/** What the workers need besides the engine. */
export interface WorkerDeps extends EngineDeps {
  readonly runner: AgentRunner;
  readonly agentProfiles: AgentProfileStore;
  readonly realtime: Realtime;
  readonly documents: DocumentStore;
  /** For webhook notifications. */
  readonly fetch: typeof fetch;
}

const finished = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Handles the orchestrator's jobs in this process. Every handler is idempotent (delivery is at
 * least once): dispatches are keyed by `<execution>/<step>/<attempt>` and skipped when the attempt
 * is no longer current; timers are ignored by the decider when superseded; notes have stable ids.
 */
export async function startOrchestratorWorkers(engine: Engine, deps: WorkerDeps): Promise<void> {
  const { jobs, executions, agentProfiles, runner, logger } = deps;
  await jobs.declareTopic(topics.dispatch, { retryLimit: 5, retryDelaySeconds: 1 });
  await jobs.declareTopic(topics.cancel, { retryLimit: 5, retryDelaySeconds: 1 });
  await jobs.declareTopic(topics.timer, { retryLimit: 10, retryDelaySeconds: 1 });
  await jobs.declareTopic(topics.notify, { retryLimit: 5, retryDelaySeconds: 2 });
  await jobs.declareTopic(topics.mirror, { retryLimit: 5, retryDelaySeconds: 1 });

  runner.onResult(async (result: RunResult) => {
    const run = parseRunKey(result.key);
    if (run === undefined) return;
    const body =
      result.outcome === 'succeeded'
        ? ({ type: 'step.completed', stepId: run.stepId, attempt: run.attempt, output: result.output } as const)
        : ({ type: 'step.failed', stepId: run.stepId, attempt: run.attempt, error: result.error, retryable: result.retryable } as const);
    try {
      await engine.apply(run.executionId, body);
    } catch (error) {
      logger.warn({ err: error, key: result.key }, 'could not record a run result');
      throw error;
    }
  });

  await jobs.work<DispatchJob>(
    topics.dispatch,
    async ({ data }) => {
      const record = await executions.get(data.executionId);
      const step = record?.state.steps[data.stepId];
      if (record === undefined || step === undefined || finished.has(record.state.status) || step.status !== 'running' || step.attempt !== data.attempt) return; // stale
      const profile = await agentProfiles.byName(record.workspaceId, data.profile);
      if (profile === undefined) {
        await engine.apply(record.id, { type: 'step.failed', stepId: data.stepId, attempt: data.attempt, error: `there is no agent profile named "${data.profile}" in this workspace`, retryable: false });
        return;
      }
      const prompt = profile.promptTemplate.includes('${prompt}') ? profile.promptTemplate.replaceAll('${prompt}', data.prompt) : data.prompt;
      await runner.start({
        key: data.key,
        executionId: record.id,
        stepId: data.stepId,
        attempt: data.attempt,
        profile: { name: profile.name, model: profile.model, tools: profile.tools },
        prompt,
        input: data.input,
        timeoutMs: data.timeoutMs ?? profile.policy.timeoutMs,
      });
    },
    { concurrency: 8 },
  );

  await jobs.work<MirrorJob>(
    topics.mirror,
    async ({ data }) => {
      const record = await executions.get(data.executionId);
      if (record === undefined) return;
      // Always the latest state: a late or repeated job writes what is true now.
      await writeMirror(deps, record.dashboardId, record.state, await engine.recipeOf(record));
    },
    { concurrency: 4 },
  );

  await jobs.work<CancelJob>(topics.cancel, async ({ data }) => runner.cancel(data.key), { concurrency: 4 });

  await jobs.work<TimerJob>(topics.timer, async ({ data }) => void (await engine.apply(data.executionId, { type: 'timer.fired', timer: data.timer })), { concurrency: 4 });

  await jobs.work<NotifyJob>(
    topics.notify,
    async ({ data }) => {
      const record = await executions.get(data.executionId);
      if (record === undefined) return;
      if (data.channel === 'dashboard') {
        // The note's id comes from the key: a repeated job writes the same note again, not a second one.
        await postSystemNote(deps, record.dashboardId, `note-${data.key.replaceAll('/', '-')}`, { title: `Execution ${record.id.slice(0, 8)}: ${data.stepId}`, body: data.message, author: record.createdBy ?? 'baton' });
        return;
      }
      if (data.url === null) return;
      const res = await deps.fetch(data.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': data.key },
        body: JSON.stringify({ executionId: record.id, stepId: data.stepId, message: data.message }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`webhook ${new URL(data.url).host} answered ${res.status}`);
    },
    { concurrency: 4 },
  );
}
