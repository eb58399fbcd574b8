import { awaitsResult } from '../../domain/orchestrator/decide.ts';
import {
  isFinishedStatus,
  type Actor,
  type Decided,
  type ExecutionState,
} from '../../domain/orchestrator/execution.ts';
import { maxSubRecipeDepth } from '../../domain/orchestrator/recipe.ts';
import { InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import type { ExecutionRecord } from '../../ports/executions.ts';
import type { JobQueue } from '../../ports/job-queue.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import {
  parseRunKey,
  topics,
  type ChildFinishedJob,
  type ControlChildJob,
  type Engine,
  type EngineDeps,
  type EventBody,
  type StartChildJob,
} from './engine.ts';
import { checkInputs, launchExecution } from './executions.ts';

type Deps = Pick<EngineDeps, 'unitOfWork' | 'executions' | 'recipes' | 'clock' | 'logger'>;

const system: Actor = { kind: 'system' };

/**
 * What a recipe step succeeds with: the child's id, how it ended, its summary and every step's
 * output (docs/orchestrator.md, "Sub-recipes").
 */
export interface ChildOutput {
  readonly executionId: string;
  readonly status: 'succeeded';
  readonly summary: string | null;
  readonly outputs: Record<string, unknown>;
}

/**
 * Starts the child execution of a recipe step's attempt, once: in one transaction with the parent
 * locked, it looks for the child this attempt already has (`parent_key`, unique) and, if there is
 * none and the attempt is still current, creates it (origin `parent`, in the parent's dashboard, by
 * the parent's starter) and records `child.started` in the parent. A job delivered again after a
 * crash finds the child and does nothing. A child that cannot start (a recipe gone, archived, in
 * another workspace, inputs it does not take, nesting too deep) fails the step, not retried.
 */
export async function startChild(deps: Deps, engine: Engine, job: StartChildJob): Promise<void> {
  const changes = await deps.unitOfWork.run(async (tx) => {
    const parent = await deps.executions.lock(job.executionId, tx);
    if (parent === undefined || !awaitsResult(parent.state, job.stepId, job.attempt)) return [];
    if ((await deps.executions.childByKey(job.key, tx)) !== undefined) return [];
    const version = await childVersion(deps, parent, job, tx);
    if (typeof version === 'string')
      return [
        {
          record: parent,
          decided: await engine.applyLocked(
            parent,
            { type: 'step.failed', stepId: job.stepId, attempt: job.attempt, error: version, retryable: false },
            system,
            tx,
          ),
        },
      ];
    const starter: Actor = parent.createdBy === null ? system : { kind: 'user', userId: parent.createdBy };
    const link = {
      executionId: parent.id,
      stepId: job.stepId,
      attempt: job.attempt,
      depth: (parent.state.parent?.depth ?? 0) + 1,
    };
    const child = await launchExecution(
      deps,
      engine,
      {
        workspaceId: parent.workspaceId,
        dashboardId: parent.dashboardId,
        recipeId: job.recipeId,
        version,
        inputs: { ...job.inputs },
        createdBy: parent.createdBy,
        actor: starter,
        origin: { kind: 'parent', id: parent.id },
        parent: link,
      },
      tx,
    );
    const made: Array<{ record: ExecutionRecord; decided: Decided }> = [child];
    if (parent.state.status === 'paused' && !isFinishedStatus(child.decided.state.status)) {
      // Paused after the step began: the child starts paused too, and the parent's resume resumes it.
      made.push({
        record: child.record,
        decided: await engine.applyLocked(
          { ...child.record, state: child.decided.state },
          { type: 'execution.paused', cause: { executionId: parent.id, stepId: job.stepId } },
          system,
          tx,
        ),
      });
    }
    made.push({
      record: parent,
      decided: await engine.applyLocked(
        parent,
        { type: 'child.started', stepId: job.stepId, attempt: job.attempt, childExecutionId: child.record.id },
        system,
        tx,
      ),
    });
    return made;
  });
  for (const { record, decided } of changes) engine.committed(record, decided);
}

/** The child recipe's version to start, or why it cannot start. */
async function childVersion(
  deps: Deps,
  parent: ExecutionRecord,
  job: StartChildJob,
  tx: Transaction,
): Promise<number | string> {
  const depth = (parent.state.parent?.depth ?? 0) + 1;
  if (depth > maxSubRecipeDepth)
    return (
      `sub-recipes nest at most ${maxSubRecipeDepth} deep; this child ` +
      `would be ${depth} deep (do recipes start each other in a cycle?)`
    );
  const recipe = /^[0-9a-f-]{36}$/i.test(job.recipeId) ? await deps.recipes.get(job.recipeId, tx) : undefined;
  if (recipe === undefined || recipe.workspaceId !== parent.workspaceId)
    return `there is no recipe ${job.recipeId} in this workspace`;
  if (recipe.archivedAt !== null) return `the recipe "${recipe.name}" is archived; restore it to run it`;
  const version = job.version ?? recipe.latestVersion;
  const found = await deps.recipes.version(recipe.id, version, tx);
  if (found === undefined) return `the recipe "${recipe.name}" has no version ${version}`;
  try {
    checkInputs(found.compiled, { ...job.inputs });
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    return (
      `the recipe "${recipe.name}" (version ${version}) does not take these ` +
      `inputs: ${error.issues.map((i) => `${i.path} ${i.message}`).join('; ')}`
    );
  }
  return version;
}

/**
 * Passes a parent's pause, resume or cancel on to a step attempt's child. A pause or resume follows
 * what the parent is now (jobs may arrive out of order): paused while the parent is paused, running
 * while it is not; a cancel applies whenever the child has not ended. Recorded in the child's history
 * with the parent as the `cause`.
 */
export async function controlChild(deps: Deps, engine: Engine, job: ControlChildJob): Promise<void> {
  const child = await deps.executions.childByKey(job.key);
  if (child === undefined || isFinishedStatus(child.state.status)) return;
  const cause = { executionId: job.executionId, stepId: job.stepId };
  if (job.action === 'cancel') {
    await engine.apply(child.id, {
      type: 'execution.cancelled',
      reason: `cancelled by its parent execution ${job.executionId} (step ${job.stepId}): ${job.reason}`,
      cause,
    });
    return;
  }
  const run = parseRunKey(job.key);
  const parent = await deps.executions.get(job.executionId);
  if (run === undefined || parent === undefined || !awaitsResult(parent.state, run.stepId, run.attempt)) return;
  const pause = parent.state.status === 'paused';
  if (pause && child.state.status !== 'paused') await engine.apply(child.id, { type: 'execution.paused', cause });
  else if (!pause && child.state.status === 'paused')
    await engine.apply(child.id, { type: 'execution.resumed', cause });
}

/**
 * A child ended: its parent's step takes the outcome, as any step result (ignored when the attempt
 * is no longer current). Succeeded: the step succeeds with `ChildOutput`. Failed or cancelled: the
 * attempt fails, and the step's retry policy decides (a new attempt starts a new child).
 */
export async function childFinished(deps: Deps, engine: Engine, job: ChildFinishedJob): Promise<void> {
  const child = await deps.executions.get(job.executionId);
  const link = child?.state.parent;
  if (child === undefined || link === undefined || link === null || !isFinishedStatus(child.state.status)) return;
  let body: EventBody;
  if (child.state.status === 'succeeded')
    body = {
      type: 'step.completed',
      stepId: link.stepId,
      attempt: link.attempt,
      output: await childOutput(engine, child),
    };
  else
    body = {
      type: 'step.failed',
      stepId: link.stepId,
      attempt: link.attempt,
      error:
        `child execution ${child.id} ${child.state.status === 'failed' ? 'failed' : 'was cancelled'}` +
        `: ${child.state.reason ?? 'no reason given'}`,
      retryable: true,
    };
  try {
    await engine.apply(link.executionId, body);
  } catch (error) {
    if (error instanceof NotFoundError) return; // the parent is gone (retention): nobody waits
    throw error;
  }
}

async function childOutput(engine: Engine, child: ExecutionRecord): Promise<ChildOutput> {
  return {
    executionId: child.id,
    status: 'succeeded',
    summary: await engine.summaryOf(child),
    outputs: outputsOf(child.state),
  };
}

/** Every step's output, by step id (steps that were not reached are left out). */
function outputsOf(state: ExecutionState): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  for (const [id, step] of Object.entries(state.steps))
    if (step.visit > 0 || step.status === 'skipped') outputs[id] = step.output;
  return outputs;
}

/** Handles the sub-recipe jobs in this process (each idempotent: delivery is at least once). */
export async function startSubRecipeWorkers(engine: Engine, deps: Deps & { readonly jobs: JobQueue }): Promise<void> {
  const { jobs } = deps;
  await jobs.declareTopic(topics.startChild, { retryLimit: 20, retryDelaySeconds: 2 });
  await jobs.declareTopic(topics.controlChild, { retryLimit: 20, retryDelaySeconds: 2 });
  await jobs.declareTopic(topics.childFinished, { retryLimit: 20, retryDelaySeconds: 2 });
  await jobs.work<StartChildJob>(topics.startChild, async ({ data }) => startChild(deps, engine, data), {
    concurrency: 4,
  });
  await jobs.work<ControlChildJob>(topics.controlChild, async ({ data }) => controlChild(deps, engine, data), {
    concurrency: 4,
  });
  await jobs.work<ChildFinishedJob>(topics.childFinished, async ({ data }) => childFinished(deps, engine, data), {
    concurrency: 4,
  });
}
