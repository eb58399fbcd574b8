import { draftOf, isFinished, recipeOf, runKey, scopeOf, stateOf, stepOf, stepState, type Draft } from './draft.ts';
import {
  isFinishedStatus,
  type Actor,
  type DecideContext,
  type Decided,
  type ExecutionEvent,
  type ExecutionState,
} from './execution.ts';
import {
  activate,
  advance,
  awaitsDelivery,
  begin,
  complete,
  deliver,
  dispatch,
  failExecution,
  failStep,
  finish,
  loseAttempt,
  refreshStatus,
  startChild,
  startTimer,
  stopActive,
  stopRun,
} from './steps.ts';

/** The state of an execution before its first event. */
export function initialState(init: {
  id: string;
  recipeId: string;
  recipeVersion: number;
  startedAt: number;
}): ExecutionState {
  return {
    ...init,
    status: 'running',
    inputs: {},
    steps: {},
    active: [],
    finishedAt: null,
    deadlineAt: null,
    reason: null,
    version: 0,
  };
}

/**
 * The timers an execution still awaits: each step's current timer and, until it ends, its deadline.
 * A timer not among them (superseded, or of a finished execution) changes nothing when it fires, so
 * the shell may withdraw its job and ignore it without recording it.
 */
export function awaitedTimers(state: ExecutionState): string[] {
  if (isFinishedStatus(state.status)) return [];
  const timers = Object.values(state.steps).flatMap((s) => (s.timer === null ? [] : [s.timer]));
  return state.deadlineAt === null ? timers : ['deadline', ...timers];
}

/**
 * Whether a step result (completed, failed or lost) still changes the execution: its step is running
 * the attempt the result is of. Any other result (a second report of one result, a late result of a
 * replaced attempt, a result after the execution finished) changes nothing, so the shell may ignore
 * it without recording it.
 */
export function awaitsResult(state: ExecutionState, stepId: string, attempt: number): boolean {
  if (isFinishedStatus(state.status)) return false;
  const step = state.steps[stepId];
  return step?.status === 'running' && step.attempt === attempt;
}

/**
 * The engine: folds one event into the state and says what must happen next. Pure and
 * deterministic: no clock (events carry their time), no randomness, no I/O. Events that no longer
 * apply (a late result of a replaced attempt, a timer that was superseded) change nothing but the
 * version, so replaying the history always rebuilds the same state.
 */
export function decide(state: ExecutionState, event: ExecutionEvent, ctx: DecideContext): Decided {
  const draft = draftOf(state, ctx, event.at);
  draft.state.version = state.version + 1;
  apply(draft, event);
  refreshStatus(draft);
  return { state: stateOf(draft), commands: draft.commands };
}

function apply(draft: Draft, event: ExecutionEvent): void {
  if (event.type === 'execution.started') {
    if (event.parent !== undefined) draft.state.parent = event.parent;
    if (event.pinned !== undefined) draft.state.pinned = event.pinned;
    start(draft, event.inputs);
    return;
  }
  if (isFinished(draft) && event.type !== 'step.retried' && event.type !== 'step.skipped') return;
  switch (event.type) {
    case 'run.started':
      return;
    case 'step.completed': {
      const state = draft.steps[event.stepId];
      if (state?.status === 'running' && state.attempt === event.attempt) complete(draft, event.stepId, event.output);
      return;
    }
    case 'step.failed': {
      const state = draft.steps[event.stepId];
      if (state?.status === 'running' && state.attempt === event.attempt)
        failStep(draft, event.stepId, event.error, event.retryable);
      return;
    }
    case 'step.lost': {
      const state = draft.steps[event.stepId];
      if (state?.status === 'running' && state.attempt === event.attempt)
        loseAttempt(draft, event.stepId, event.reason);
      return;
    }
    case 'timer.fired':
      timerFired(draft, event.timer);
      return;
    case 'approval.decided':
      decideApproval(draft, event.stepId, event.actor, event.approved, event.comment);
      return;
    case 'child.started': {
      const state = draft.steps[event.stepId];
      if (state?.status === 'running' && state.attempt === event.attempt)
        state.childExecutionId = event.childExecutionId;
      return;
    }
    case 'execution.paused':
      draft.state.status = 'paused';
      controlChildren(draft, 'pause');
      return;
    case 'execution.resumed':
      if (draft.state.status !== 'paused') return;
      draft.state.status = 'running';
      controlChildren(draft, 'resume');
      // What was held while paused starts now, in the order it was reached.
      for (const id of [...draft.active]) {
        if (isFinished(draft)) return;
        if (draft.active.includes(id) && stepState(draft, id).status === 'pending') begin(draft, stepOf(draft, id));
      }
      return;
    case 'execution.cancelled':
      stopActive(draft, 'cancelled');
      draft.state.status = 'cancelled';
      draft.state.reason = event.reason ?? 'cancelled';
      draft.state.finishedAt = draft.at;
      draft.commands.push({ kind: 'finished', status: 'cancelled' });
      return;
    case 'step.retried':
      retry(draft, event.stepId);
      return;
    case 'step.skipped':
      skip(draft, event.stepId, event.output);
      return;
    case 'step.input_edited': {
      const state = stepState(draft, event.stepId);
      if (state.attempt === 0 || state.status === 'pending')
        Object.assign(state, { input: event.input, inputEdited: true });
      return;
    }
    case 'execution.moved':
      draft.state.recipeVersion = event.recipeVersion;
      return;
    case 'event.received':
      for (const id of [...draft.active]) {
        const step = stepOf(draft, id);
        if (
          step.kind !== 'wait' ||
          step.event === null ||
          step.event.name !== event.name ||
          stepState(draft, id).status !== 'waiting'
        )
          continue;
        if (step.event.match !== null && !matches(draft, step.event.match, event.payload)) continue;
        complete(draft, id, { event: event.payload });
      }
      return;
  }
}

function start(draft: Draft, given: Readonly<Record<string, unknown>>): void {
  const recipe = recipeOf(draft);
  const inputs: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(recipe.inputs))
    if (given[name] !== undefined || spec.default !== undefined) inputs[name] = given[name] ?? spec.default;
  draft.state.inputs = inputs;
  draft.state.startedAt = draft.at;
  if (recipe.deadlineMs !== null) {
    draft.state.deadlineAt = draft.at + recipe.deadlineMs;
    startTimer(draft, null, 'deadline', draft.state.deadlineAt);
  }
  activate(draft, recipe.start);
}

function timerFired(draft: Draft, timer: string): void {
  if (timer === 'deadline') {
    if (draft.state.deadlineAt !== null) failExecution(draft, 'the execution passed its deadline');
    return;
  }
  const [purpose = '', stepId = ''] = timer.split(':');
  const state = draft.steps[stepId];
  if (state === undefined || state.timer !== timer) return; // superseded or stale
  const step = stepOf(draft, stepId);
  switch (purpose) {
    case 'retry':
      if (state.status !== 'scheduled') return;
      if (draft.state.status === 'paused')
        state.status = 'pending'; // begun on resume
      else if (step.kind === 'agent') dispatch(draft, step);
      else if (step.kind === 'notify' && awaitsDelivery(step)) deliver(draft, step);
      else if (step.kind === 'recipe') startChild(draft, step);
      return;
    case 'timeout':
      if (state.status === 'running') {
        stopRun(draft, stepId, 'the step timed out');
        failStep(draft, stepId, 'the step timed out', true);
      }
      return;
    case 'wait':
      if (state.status === 'waiting') complete(draft, stepId, { waitedUntil: new Date(draft.at).toISOString() });
      return;
    case 'waittimeout':
      if (state.status === 'waiting') failStep(draft, stepId, 'no matching event arrived in time', false);
      return;
    case 'approval':
      if (state.status === 'waiting') reject(draft, stepId, 'nobody decided in time');
      return;
  }
}

function decideApproval(draft: Draft, stepId: string, actor: Actor, approved: boolean, comment: string | null): void {
  const step = draft.ctx.recipe(draft.state.recipeVersion).steps[stepId];
  const state = draft.steps[stepId];
  if (step?.kind !== 'approval' || state?.status !== 'waiting' || actor.kind !== 'user') return;
  if (state.decisions.some((d) => d.userId === actor.userId)) return; // one voice per person
  state.decisions = [...state.decisions, { userId: actor.userId, approved, comment, at: draft.at }];
  if (!approved) {
    reject(draft, stepId, `rejected by ${actor.userId}${comment === null ? '' : `: ${comment}`}`);
    return;
  }
  if (state.decisions.filter((d) => d.approved).length >= step.quorum)
    complete(draft, stepId, { approved: true, decisions: state.decisions });
}

function reject(draft: Draft, stepId: string, why: string): void {
  const step = stepOf(draft, stepId);
  const state = stepState(draft, stepId);
  if (step.kind === 'approval' && step.onReject !== null) {
    finish(draft, stepId, 'succeeded', { approved: false, decisions: state.decisions, reason: why });
    advance(draft, step, step.onReject);
    return;
  }
  finish(draft, stepId, 'failed', { approved: false, decisions: state.decisions }, why);
  failExecution(draft, `step ${stepId}: ${why}`);
}

/** A human retries a failed step: the execution runs again from it (and its stopped siblings). */
function retry(draft: Draft, stepId: string): void {
  if (draft.state.status !== 'failed' || draft.steps[stepId]?.status !== 'failed') return;
  reopen(draft);
  const parent = stepOf(draft, stepId).parent;
  // Siblings that the failure stopped in the same parallel step start again too.
  for (const [id, s] of Object.entries(draft.steps)) {
    if (parent !== null && id !== stepId && s.status === 'cancelled' && stepOf(draft, id).parent === parent)
      restart(draft, id);
  }
  restart(draft, stepId);
}

/** A human skips a step with a given output: now (if active or failed), or when it is reached. */
function skip(draft: Draft, stepId: string, output: unknown): void {
  const state = stepState(draft, stepId);
  const step = stepOf(draft, stepId);
  if (draft.state.status === 'failed' && state.status === 'failed') reopen(draft);
  else if (isFinished(draft)) return;
  if (draft.active.includes(stepId) || state.status === 'failed') {
    stopRun(draft, stepId, 'the step was skipped');
    finish(draft, stepId, 'skipped', output);
    advance(draft, step, null);
    return;
  }
  if (state.visit === 0) Object.assign(state, { status: 'skipped', output });
}

function reopen(draft: Draft): void {
  draft.state.status = 'running';
  draft.state.reason = null;
  draft.state.finishedAt = null;
  // A finished execution awaits no timer (the shell withdraws them); one that runs again keeps its deadline.
  if (draft.state.deadlineAt !== null && draft.state.deadlineAt > draft.at)
    startTimer(draft, null, 'deadline', draft.state.deadlineAt);
}

function restart(draft: Draft, id: string): void {
  const state = stepState(draft, id);
  Object.assign(state, { status: 'pending', tries: 0, error: null, finishedAt: null, timer: null });
  if (!draft.active.includes(id)) draft.active.push(id);
  begin(draft, stepOf(draft, id));
}

/** Passes a pause or resume on to the child executions of running recipe steps. */
function controlChildren(draft: Draft, action: 'pause' | 'resume'): void {
  for (const id of draft.active) {
    const state = stepState(draft, id);
    if (stepOf(draft, id).kind === 'recipe' && state.status === 'running')
      draft.commands.push({
        kind: 'control_child',
        key: runKey(draft, id, state.attempt),
        stepId: id,
        action,
        reason: action === 'pause' ? 'the parent execution was paused' : 'the parent execution was resumed',
      });
  }
}

function matches(draft: Draft, expression: string, payload: unknown): boolean {
  try {
    return draft.ctx.expressions.evaluate(expression, scopeOf(draft, payload)) === true;
  } catch {
    return false; // an event the filter cannot read does not match
  }
}
