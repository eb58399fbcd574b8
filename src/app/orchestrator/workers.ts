import { DomainError } from '../../domain/errors.ts';
import { IntegrationError } from '../../domain/integrations/errors.ts';
import { runsAttempt } from '../../domain/orchestrator/execution.ts';
import { enabledSubAgents } from '../../domain/orchestrator/sub-agents.ts';
import type { ExecutionRecord } from '../../ports/executions.ts';
import type { Delivery } from '../integrations/deliveries.ts';
import type { AgentProfileStore } from '../../ports/agent-profiles.ts';
import type { AgentRunner, RunResult } from '../../ports/agent-runner.ts';
import type { JobOutbox } from '../../ports/job-outbox.ts';
import type { JobQueue } from '../../ports/job-queue.ts';
import type { Realtime } from '../../ports/realtime.ts';
import type { DocumentStore } from '../../ports/document-store.ts';
import { EgressUnreachableError, type Egress } from '../../ports/egress.ts';
import { signWebhook } from '../triggers/hook-signature.ts';
import { postSystemNote } from '../realtime/items.ts';
import {
  parseRunKey,
  topics,
  type CancelJob,
  type DispatchJob,
  type Engine,
  type EngineDeps,
  type EventBody,
  type NotifyJob,
  type TimerJob,
} from './engine.ts';
import { MirrorScheduler } from './mirror-scheduler.ts';
import { startSubRecipeWorkers } from './sub-recipes.ts';
import type { DashboardWriter } from '../realtime/dashboard-writer.ts';
import type { UserStore } from '../../ports/users.ts';

/** A set of keys that forgets each key `ttlMs` after it was added (in insertion order, cheaply). */
function createRecentKeys(ttlMs: number, now: () => number): { add(key: string): void; has(key: string): boolean } {
  const keys = new Map<string, number>();
  return {
    add(key) {
      const at0 = now();
      keys.delete(key);
      keys.set(key, at0);
      for (const [k, at] of keys) {
        if (at0 - at < ttlMs) break;
        keys.delete(k);
      }
    },
    has: (key) => keys.has(key),
  };
}

/** What the workers need besides the engine. */
export interface WorkerDeps extends EngineDeps {
  /** The outbox, which also withdraws the backup job of a dispatch the fast path started. */
  readonly outbox: Pick<JobOutbox, 'kick' | 'cancel'>;
  readonly jobs: JobQueue;
  /** Coalesced server writes into dashboards (shared with the session mirror). */
  readonly writer: DashboardWriter;
  readonly runner: AgentRunner;
  readonly agentProfiles: AgentProfileStore;
  /** Who decided an approval, by name and e-mail, for the dashboard document; absent: shown by user id only. */
  readonly users?: Pick<UserStore, 'get'>;
  readonly realtime: Realtime;
  readonly documents: DocumentStore;
  /** Webhook notifications go out through it, to addresses the egress policy allows. */
  readonly egress: Egress;
  /** The workspace's webhook signing secret (made when it has none): `webhookSigningSecret`. */
  readonly webhookSecret: (workspaceId: string) => Promise<string>;
  /** Delivers notify steps through the workspace's GitHub or Google Drive connection; absent: they fail. */
  readonly deliver?: (delivery: Delivery) => Promise<Record<string, unknown>>;
  /**
   * Receives the work started after a commit (the fast dispatch, the dashboard view). A runtime that
   * may freeze once it has answered (a Worker) keeps itself alive until these settle; absent, they
   * simply run on.
   */
  readonly background?: (task: Promise<unknown>) => void;
  /**
   * Whether to bring every unfinished execution's dashboard view up to date now (default true: a
   * process that starts once). A runtime that composes the workers per invocation passes false.
   */
  readonly catchUp?: boolean;
}

/**
 * Handles the orchestrator's jobs in this process. Every handler is idempotent (delivery is at
 * least once): dispatches are keyed by `<execution>/<step>/<attempt>` and skipped when the attempt
 * is no longer current; timers are ignored by the decider when superseded; notes have stable ids.
 */
export async function startOrchestratorWorkers(engine: Engine, deps: WorkerDeps): Promise<{ close(): Promise<void> }> {
  const { jobs, executions, agentProfiles, runner, logger } = deps;
  // A dispatch that cannot get a sandbox (the provider is down) is retried every 5 s for an hour:
  // the step waits rather than hanging or failing at once. At the workspace's limit the dispatch is
  // done: the step waits in the sandbox slot queue, which starts it when a slot frees (docs/sessions.md).
  // A dispatch may wait for a sandbox to be provisioned (up to its timeout) before it returns.
  await jobs.declareTopic(topics.dispatch, { retryLimit: 720, retryDelaySeconds: 5, expireInSeconds: 300 });
  await jobs.declareTopic(topics.cancel, { retryLimit: 5, retryDelaySeconds: 1 });
  await jobs.declareTopic(topics.timer, { retryLimit: 10, retryDelaySeconds: 1 });
  await jobs.declareTopic(topics.notify, { retryLimit: 5, retryDelaySeconds: 2 });

  runner.onResult(async (result: RunResult) => {
    const run = parseRunKey(result.key);
    if (run === undefined) return;
    const body =
      result.outcome === 'succeeded'
        ? ({ type: 'step.completed', stepId: run.stepId, attempt: run.attempt, output: result.output } as const)
        : result.outcome === 'lost'
          ? ({ type: 'step.lost', stepId: run.stepId, attempt: run.attempt, reason: result.reason } as const)
          : ({
              type: 'step.failed',
              stepId: run.stepId,
              attempt: run.attempt,
              error: result.error,
              retryable: result.retryable,
            } as const);
    try {
      await engine.apply(run.executionId, body);
    } catch (error) {
      logger.warn({ err: error, key: result.key }, 'could not record a run result');
      throw error;
    }
  });

  // Keys this process started (its fast path, usually): their backup jobs, due 5 s later, skip the
  // execution read. Bounded: forgotten after a minute, when no backup job is left to ask.
  const dispatchedHere = createRecentKeys(60_000, () => deps.clock.now().getTime());

  /**
   * Starts an attempt in a sandbox unless it is no longer current; idempotent by the run's key. The
   * fast path has just committed the dispatch, so it need not read the execution again.
   */
  const dispatchRun = async (data: DispatchJob, fresh = false): Promise<void> => {
    // The backup job of a dispatch this process made itself has nothing to do: no read needed.
    if (!fresh && dispatchedHere.has(data.key)) return;
    if (!fresh) {
      const record = await executions.get(data.executionId);
      if (record === undefined || !runsAttempt(record.state, data.stepId, data.attempt)) return; // stale
    }
    // The profile's version current when the execution started (docs/sub-agents.md): a change of the
    // profile made while it runs does not reach it.
    const profile = await agentProfiles.forExecution(data.executionId, data.workspaceId, data.profile);
    if (profile === undefined) {
      await engine.apply(data.executionId, {
        type: 'step.failed',
        stepId: data.stepId,
        attempt: data.attempt,
        error: `there is no agent profile named "${data.profile}" in this workspace`,
        retryable: false,
      });
      return;
    }
    const { subAgents, unknown } = enabledSubAgents(profile, data.subAgents);
    if (unknown.length > 0) {
      const error =
        `step ${data.stepId} enables sub-agent${unknown.length === 1 ? '' : 's'}` +
        ` ${unknown.map((name) => `"${name}"`).join(', ')}, which agent ` +
        `profile "${profile.name}" (version ${profile.version}) does not define`;
      await engine.apply(data.executionId, {
        type: 'step.failed',
        stepId: data.stepId,
        attempt: data.attempt,
        error,
        retryable: false,
      });
      return;
    }
    const prompt = profile.promptTemplate.includes('${prompt}')
      ? profile.promptTemplate.replaceAll('${prompt}', data.prompt)
      : data.prompt;
    await runner.start({
      key: data.key,
      executionId: data.executionId,
      workspaceId: data.workspaceId,
      ...(data.dashboardId === undefined ? {} : { dashboardId: data.dashboardId }),
      stepId: data.stepId,
      attempt: data.attempt,
      profile: { name: profile.name, model: profile.model, tools: profile.tools, version: profile.version },
      subAgents,
      prompt,
      input: data.input,
      timeoutMs: data.timeoutMs ?? profile.policy.timeoutMs,
      maxCostUsd: profile.policy.maxCostUsd,
      ...(data.github === undefined ? {} : { github: data.github }),
    });
    dispatchedHere.add(data.key);
    // Started (or found started): the backup job waiting in the outbox has nothing left to do.
    if (fresh) deps.outbox.cancel([`dispatch:${data.key}`]);
  };
  await jobs.work<DispatchJob>(topics.dispatch, async ({ data }) => dispatchRun(data), { concurrency: 8 });

  // The fast path: dispatch right after the commit (the delayed job is the crash-safe backup), and
  // show the change in the dashboard (coalesced per execution).
  const mirror = new MirrorScheduler(deps, engine);
  engine.onCommitted((execution, decided) => {
    for (const command of decided.commands) {
      if (command.kind !== 'dispatch') continue;
      const started = dispatchRun(
        {
          ...command,
          executionId: execution.id,
          workspaceId: execution.workspaceId,
          dashboardId: execution.dashboardId,
        },
        true,
      ).catch((error: unknown) =>
        logger.warn({ err: error, key: command.key }, 'fast dispatch failed; the backup job will retry'),
      );
      deps.background?.(started);
    }
    const shown = mirror.schedule({ ...execution, state: decided.state });
    deps.background?.(shown);
  });
  // After a restart, bring every unfinished execution's dashboard view up to date (schedule logs, never rejects).
  if (deps.catchUp ?? true) for (const record of await executions.unfinished()) void mirror.schedule(record);

  await jobs.work<CancelJob>(topics.cancel, async ({ data }) => runner.cancel(data.key), { concurrency: 4 });

  await startSubRecipeWorkers(engine, deps);

  await jobs.work<TimerJob>(
    topics.timer,
    async ({ data }) => void (await engine.apply(data.executionId, { type: 'timer.fired', timer: data.timer })),
    { concurrency: 4 },
  );

  /**
   * A notify step that waits for its delivery (a GitHub comment, a Drive document): the outcome goes
   * back to the engine as the step's result. Stale jobs (a superseded attempt) do nothing.
   */
  const deliverThroughIntegration = async (record: ExecutionRecord, data: NotifyJob): Promise<void> => {
    const attempt = data.attempt;
    if (data.target === undefined || attempt === undefined || !runsAttempt(record.state, data.stepId, attempt)) return;
    let body: EventBody;
    try {
      if (deps.deliver === undefined)
        throw new IntegrationError(
          data.channel === 'github' ? 'github' : 'google',
          'integration_missing',
          'Integrations are not available in this runtime',
        );
      const output = await deps.deliver({
        workspaceId: record.workspaceId,
        integration: data.integration ?? null,
        target: data.target,
        message: data.message,
        key: data.key,
      });
      body = { type: 'step.completed', stepId: data.stepId, attempt, output };
    } catch (error) {
      // Anything else (a database failure) is thrown: the job is retried.
      if (!(error instanceof IntegrationError)) throw error;
      body = { type: 'step.failed', stepId: data.stepId, attempt, error: error.message, retryable: error.retryable };
    }
    await engine.apply(record.id, body);
  };

  /**
   * A webhook, signed with the workspace's secret, through the egress guard. The step waits for
   * it: a 2xx completes it; an egress refusal, a redirect or another 4xx fails it for good; no
   * answer, 408, 429 or a 5xx fails the attempt, retried by the step's policy. A job of a step
   * begun before webhooks waited (no attempt) keeps the old way: retried by the queue, then dropped.
   */
  const sendWebhook = async (record: ExecutionRecord, data: NotifyJob): Promise<void> => {
    if (data.url === null) return;
    const waits = data.attempt !== undefined;
    if (waits && !runsAttempt(record.state, data.stepId, data.attempt)) return; // stale
    const host = new URL(data.url).host;
    const body = JSON.stringify({ executionId: record.id, stepId: data.stepId, message: data.message });
    // Inside the signature, so a captured delivery cannot be sent again as another one.
    const deliveryId = data.key
      .replaceAll('/', ':')
      .replace(/[^A-Za-z0-9_:-]/g, '_')
      .slice(0, 200);
    // A failure to read the secret (the database away) is thrown: the job is retried.
    const signed = await signWebhook(await deps.webhookSecret(record.workspaceId), {
      body,
      deliveryId,
      nowMs: deps.clock.now().getTime(),
    });
    let failure: { error: string; retryable: boolean } | undefined;
    let status = 0;
    try {
      const answer = await deps.egress.send({
        method: 'POST',
        url: data.url,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': data.key,
          'user-agent': 'Baton-Webhook/1',
          ...signed,
        },
        body,
        timeoutMs: 10_000,
      });
      status = answer.status;
      if (status >= 300) {
        const why = status < 400 ? ' (redirects are not followed)' : '';
        failure = {
          error: `webhook ${host} answered ${status}${why}`,
          retryable: status >= 500 || status === 408 || status === 429,
        };
      }
    } catch (error) {
      if (error instanceof EgressUnreachableError)
        failure = { error: `webhook ${host}: ${error.message}`, retryable: true };
      // Refused by the egress policy: the address will not become public by waiting.
      else if (error instanceof DomainError && error.code === 'egress_refused')
        failure = { error: error.message, retryable: false };
      else throw error;
    }
    if (!waits) {
      if (failure?.retryable === true) throw new Error(failure.error);
      if (failure !== undefined)
        logger.warn({ executionId: record.id, stepId: data.stepId, reason: failure.error }, 'webhook not delivered');
      return;
    }
    const attempt = data.attempt ?? 0;
    await engine.apply(
      record.id,
      failure === undefined
        ? { type: 'step.completed', stepId: data.stepId, attempt, output: { message: data.message, status } }
        : { type: 'step.failed', stepId: data.stepId, attempt, ...failure },
    );
  };

  await jobs.work<NotifyJob>(
    topics.notify,
    async ({ data }) => {
      const record = await executions.get(data.executionId);
      if (record === undefined) return;
      if (data.channel === 'github' || data.channel === 'google-drive') {
        await deliverThroughIntegration(record, data);
        return;
      }
      if (data.channel === 'dashboard') {
        // The note's id comes from the key: a repeated job writes the same note again, not a second one.
        await postSystemNote(deps, record.dashboardId, `note-${data.key.replaceAll('/', '-')}`, {
          title: `Execution ${record.id.slice(0, 8)}: ${data.stepId}`,
          body: data.message,
          author: record.createdBy ?? 'baton',
        });
        return;
      }
      await sendWebhook(record, data);
    },
    { concurrency: 4 },
  );
  return { close: () => deps.writer.close() };
}
