import { isFinishedStatus, type ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { ConflictError, NotFoundError, type DomainError } from '../../domain/errors.ts';
import type { EventBody } from './engine.ts';


/**
 * Why a human intervention does not apply to the execution now (a 404 or 409), or null when it does.
 * The decider would silently ignore such events; people deserve a clear answer instead.
 */
export function interventionProblem(state: ExecutionState, recipe: CompiledRecipe, body: EventBody, target?: CompiledRecipe): DomainError | null {
  const stepId = 'stepId' in body ? body.stepId : undefined;
  if (stepId !== undefined && recipe.steps[stepId] === undefined) return new NotFoundError(`Step "${stepId}"`);
  const step = stepId === undefined ? undefined : state.steps[stepId];
  const ended = isFinishedStatus(state.status);
  switch (body.type) {
    case 'execution.paused':
      return ended || state.status === 'paused' ? new ConflictError(`The execution is ${state.status}; only a running or waiting execution can be paused`) : null;
    case 'execution.resumed':
      return state.status === 'paused' ? null : new ConflictError(`The execution is ${state.status}, not paused`);
    case 'execution.cancelled':
      return ended ? new ConflictError(`The execution has already ${state.status === 'cancelled' ? 'been cancelled' : state.status}`) : null;
    case 'approval.decided':
      if (recipe.steps[body.stepId]?.kind !== 'approval') return new ConflictError(`Step "${body.stepId}" is not an approval`);
      return step?.status === 'waiting' && !ended ? null : new ConflictError(`Step "${body.stepId}" is not waiting for a decision`);
    case 'step.retried':
      return state.status === 'failed' && step?.status === 'failed' ? null : new ConflictError(`Only a failed step of a failed execution can be retried; "${body.stepId}" is ${step?.status ?? 'not started'}`);
    case 'step.skipped':
      if (state.status === 'failed' && step?.status === 'failed') return null;
      if (ended) return new ConflictError(`The execution is ${state.status}`);
      return step === undefined || step.visit === 0 || state.active.includes(body.stepId) ? null : new ConflictError(`Step "${body.stepId}" has already run`);
    case 'step.input_edited':
      if (recipe.steps[body.stepId]?.kind !== 'agent') return new ConflictError(`Only agent steps take an input; "${body.stepId}" is not one`);
      return ended || (step !== undefined && step.attempt > 0) ? new ConflictError(`Step "${body.stepId}" has already started`) : null;
    case 'execution.moved': {
      if (ended) return new ConflictError(`The execution is ${state.status}`);
      if (target === undefined) return new NotFoundError(`Version ${body.recipeVersion} of the recipe`);
      if (body.recipeVersion <= state.recipeVersion) return new ConflictError(`The execution already follows version ${state.recipeVersion}; move it to a newer one`);
      const missing = state.active.filter((id) => target.steps[id] === undefined);
      return missing.length === 0 ? null : new ConflictError(`Version ${body.recipeVersion} has no step ${missing.map((m) => `"${m}"`).join(', ')}, which is in progress`);
    }
    case 'event.received':
      return ended ? new ConflictError(`The execution is ${state.status}`) : null;
    default:
      return new ConflictError(`${body.type} is not something people can do`);
  }
}
