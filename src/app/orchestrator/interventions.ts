import { isFinishedStatus, type ExecutionState, type StepState } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { ConflictError, NotFoundError, type DomainError } from '../../domain/errors.ts';
import type { EventBody } from './engine.ts';

/**
 * Why a human intervention does not apply to the execution now (a 404 or 409), or null when it does.
 * The decider would silently ignore such events; people deserve a clear answer instead: each message
 * says what is true of the step and the execution, and `details` carries the same as data
 * (`{ stepId, status, executionStatus }`, `status` null for a step the execution has not reached).
 * `by` is the user who intervenes (one decision per person on an approval).
 */
export function interventionProblem(
  state: ExecutionState,
  recipe: CompiledRecipe,
  body: EventBody,
  target?: CompiledRecipe,
  by?: string,
): DomainError | null {
  const stepId = 'stepId' in body ? body.stepId : undefined;
  if (stepId !== undefined && recipe.steps[stepId] === undefined)
    return new NotFoundError(`Step "${stepId}"`, { details: { stepId, executionStatus: state.status } });
  const step = stepId === undefined ? undefined : state.steps[stepId];
  const ended = isFinishedStatus(state.status);
  const conflict = (message: string, more: Record<string, unknown> = {}) =>
    new ConflictError(message, {
      details: {
        ...(stepId === undefined ? {} : { stepId, status: step?.status ?? null }),
        executionStatus: state.status,
        ...more,
      },
    });
  const is = `The execution ${executionIs(state)}`;
  switch (body.type) {
    case 'execution.paused':
      if (state.status === 'paused') return conflict('The execution is already paused');
      return ended ? conflict(`${is}; only a running or waiting execution can be paused`) : null;
    case 'execution.resumed':
      return state.status === 'paused' ? null : conflict(`${is}, not paused`);
    case 'execution.cancelled':
      return ended ? conflict(`${is} already; only a running, waiting or paused execution can be cancelled`) : null;
    case 'approval.decided': {
      if (recipe.steps[body.stepId]?.kind !== 'approval') return conflict(`Step "${body.stepId}" is not an approval`);
      const earlier = by === undefined ? undefined : step?.decisions.find((d) => d.userId === by);
      if (earlier !== undefined)
        return conflict(
          `You have already ${earlier.approved ? 'approved' : 'rejected'}` +
            ` step "${body.stepId}"; one decision per person`,
          { decision: { userId: earlier.userId, approved: earlier.approved, at: earlier.at } },
        );
      if (step?.status === 'waiting' && !ended) return null;
      return conflict(`Step "${body.stepId}" is not waiting for a decision: it ${stepIs(state, step)}`);
    }
    case 'step.retried':
      if (state.status !== 'failed') return conflict(`${is}; only a failed step of a failed execution can be retried`);
      return step?.status === 'failed'
        ? null
        : conflict(`Step "${body.stepId}" ${stepIs(state, step)}; only a failed step can be retried`);
    case 'step.skipped':
      if (state.status === 'failed' && step?.status === 'failed') return null;
      if (ended) return conflict(`${is}; only its failed step can be skipped now`);
      return step === undefined || step.visit === 0 || state.active.includes(body.stepId)
        ? null
        : conflict(`Step "${body.stepId}" ${stepIs(state, step)}`);
    case 'step.input_edited':
      if (recipe.steps[body.stepId]?.kind !== 'agent')
        return conflict(`Only agent steps take an input; "${body.stepId}" is not one`);
      if (ended) return conflict(`${is}; step "${body.stepId}" will not run`);
      // The decider takes an edit until the step's next attempt starts (one held by a pause included).
      return step === undefined || step.attempt === 0 || step.status === 'pending'
        ? null
        : conflict(`Step "${body.stepId}" has already started: it ${stepIs(state, step)}`);
    case 'execution.moved': {
      if (ended) return conflict(`${is}; only an unfinished execution can move`);
      if (target === undefined)
        return new NotFoundError(`Version ${body.recipeVersion} of the recipe`, {
          details: { recipeVersion: body.recipeVersion, executionStatus: state.status },
        });
      if (body.recipeVersion <= state.recipeVersion)
        return conflict(`The execution already follows version ${state.recipeVersion}; move it to a newer one`, {
          recipeVersion: state.recipeVersion,
        });
      const missing = state.active.filter((id) => target.steps[id] === undefined);
      return missing.length === 0
        ? null
        : conflict(
            `Version ${body.recipeVersion} has no step ` +
              `${missing.map((m) => `"${m}"`).join(', ')}, which is in progress`,
            { missingSteps: missing },
          );
    }
    case 'event.received':
      return ended ? conflict(`${is}; events only reach an unfinished execution`) : null;
    default:
      return conflict(`${body.type} is not something people can do`);
  }
}

/** "is running", "has failed", ...: the execution's status as a phrase. */
function executionIs(state: ExecutionState): string {
  switch (state.status) {
    case 'succeeded':
      return 'has succeeded';
    case 'failed':
      return 'has failed';
    case 'cancelled':
      return 'was cancelled';
    default:
      return `is ${state.status}`;
  }
}

/** What is true of a step now, as a phrase ("has not started yet", "was skipped"). */
function stepIs(state: ExecutionState, step: StepState | undefined): string {
  if (step === undefined || (step.visit === 0 && step.status === 'pending')) return 'has not started yet';
  switch (step.status) {
    case 'pending':
      return state.status === 'paused' ? 'has not started yet (the execution is paused)' : 'has not started yet';
    case 'scheduled':
      return `is waiting to retry after attempt ${step.attempt} failed`;
    case 'running':
      return 'is running';
    case 'waiting':
      return 'is waiting';
    case 'succeeded':
      return 'has already succeeded';
    case 'failed':
      return 'has failed';
    case 'skipped':
      return step.visit === 0 ? 'is set to be skipped when it is reached' : 'was skipped';
    case 'cancelled':
      return 'was cancelled';
  }
}
