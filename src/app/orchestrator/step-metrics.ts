import type { ExecutionState, StepState } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import type { Metrics, StepChange } from '../../ports/metrics.ts';

/** Statuses of a step that is not at work: it has not begun this visit, or it has ended. */
const atRest: ReadonlySet<string> = new Set(['pending', 'succeeded', 'failed', 'skipped', 'cancelled']);
/** Statuses a step can move to without having started (skipped or cancelled before it began). */
const neverStarted: ReadonlySet<string> = new Set(['pending', 'skipped', 'cancelled']);

/**
 * How the steps moved between two states of an execution. A step started when it was at rest (or
 * new) and went to work, or when a loop entered it again (it may end in the same event, as notify
 * and branch steps do); its automatic retries are not new starts, a person's retry is. It finished
 * or failed when it reached `succeeded` or `failed` in this change; a cancelled step does neither.
 */
export function stepChanges(
  before: ExecutionState,
  after: ExecutionState,
): Array<{ stepId: string; change: StepChange }> {
  const changes: Array<{ stepId: string; change: StepChange }> = [];
  for (const [stepId, now] of Object.entries(after.steps)) {
    const was: StepState | undefined = before.steps[stepId];
    const entered = now.visit > (was?.visit ?? 0);
    const moved = entered || was === undefined || was.status !== now.status;
    if (!moved) continue;
    if ((entered || was === undefined || atRest.has(was.status)) && !neverStarted.has(now.status))
      changes.push({ stepId, change: 'started' });
    if (now.status === 'succeeded') changes.push({ stepId, change: 'finished' });
    else if (now.status === 'failed') changes.push({ stepId, change: 'failed' });
  }
  return changes;
}

/** Counts the step changes of one committed event, by the kind each step has in the recipe. */
export function recordStepChanges(
  metrics: Pick<Metrics, 'step'>,
  recipe: CompiledRecipe | undefined,
  before: ExecutionState,
  after: ExecutionState,
): void {
  for (const { stepId, change } of stepChanges(before, after))
    metrics.step(change, recipe?.steps[stepId]?.kind ?? 'unknown');
}
