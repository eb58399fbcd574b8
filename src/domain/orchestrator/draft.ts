import {
  isFinishedStatus,
  type Command,
  type DecideContext,
  type ExecutionState,
  type StepState,
} from './execution.ts';
import type { CompiledRecipe, Step } from './recipe.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A mutable working copy of an execution while one event is applied, plus the commands it causes. */
export interface Draft {
  state: Mutable<Omit<ExecutionState, 'steps' | 'active'>>;
  steps: Record<string, Mutable<StepState>>;
  active: string[];
  commands: Command[];
  readonly ctx: DecideContext;
  /** The time of the event being applied. */
  readonly at: number;
}

/** Starts a draft from a state; nothing in `state` is modified. */
export function draftOf(state: ExecutionState, ctx: DecideContext, at: number): Draft {
  const steps: Record<string, Mutable<StepState>> = {};
  for (const [id, step] of Object.entries(state.steps)) steps[id] = { ...step, decisions: [...step.decisions] };
  const { steps: _steps, active, ...rest } = state;
  return { state: { ...rest }, steps, active: [...active], commands: [], ctx, at };
}

/** The finished state. */
export function stateOf(draft: Draft): ExecutionState {
  return { ...draft.state, steps: draft.steps, active: draft.active };
}

/** The recipe the execution currently follows. */
export function recipeOf(draft: Draft): CompiledRecipe {
  return draft.ctx.recipe(draft.state.recipeVersion);
}

/** A step of the current recipe (throws on an unknown id: the shell validates ids before). */
export function stepOf(draft: Draft, id: string): Step {
  const step = recipeOf(draft).steps[id];
  if (step === undefined) throw new Error(`unknown step ${id}`);
  return step;
}

/** The state of a step, created blank when the step has none yet. */
export function stepState(draft: Draft, id: string): Mutable<StepState> {
  let state = draft.steps[id];
  if (state === undefined) {
    state = {
      status: 'pending',
      attempt: 0,
      tries: 0,
      visit: 0,
      branchesEnded: 0,
      input: null,
      inputEdited: false,
      output: null,
      error: null,
      startedAt: null,
      finishedAt: null,
      decisions: [],
      timer: null,
    };
    draft.steps[id] = state;
  }
  return state;
}

/** The idempotency key of an attempt: `<execution>/<step>/<attempt>`. */
export function runKey(draft: Draft, stepId: string, attempt: number): string {
  return `${draft.state.id}/${stepId}/${attempt}`;
}

/** What expressions and templates can see. */
export function scopeOf(draft: Draft, event?: unknown): Record<string, unknown> {
  const steps: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(draft.steps))
    steps[id] = { status: s.status, output: s.output, error: s.error, attempt: s.attempt, input: s.input };
  return {
    inputs: draft.state.inputs,
    steps,
    execution: { id: draft.state.id, startedAt: draft.state.startedAt },
    ...(event === undefined ? {} : { event }),
  };
}

/** True once the execution has ended. */
export function isFinished(draft: Draft): boolean {
  return isFinishedStatus(draft.state.status);
}
