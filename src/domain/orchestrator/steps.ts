import { ExpressionError } from './execution.ts';
import { isFinished, recipeOf, runKey, scopeOf, stepOf, stepState, type Draft } from './draft.ts';
import type { AgentStep, NotifyStep, RecipeStep, RetryPolicy, Step } from './recipe.ts';

/**
 * Notify steps that wait for their delivery: a GitHub comment, a Drive document or a webhook (its
 * receiver's answer, or the egress policy's refusal, is the step's result). Only a dashboard note,
 * written by Baton itself, completes at once.
 */
export const awaitsDelivery = (step: Step): boolean => step.kind === 'notify' && step.channel !== 'dashboard';
import { retryDelayMs } from './retry.ts';

/**
 * Most steps one event may start. A recipe's steps (at most 500) all fit many times over; more
 * means a loop that never waits (a `wait` whose `until` has already passed, taken again and
 * again), and the execution fails instead of spinning.
 */
export const maxStartsPerEvent = 10_000;

/** The steps an event has yet to start, and how many it started: per draft, while `activate` runs. */
const starting = new WeakMap<Draft, { queue: string[]; started: number }>();

/**
 * Enters a step: a fresh visit (a step skipped in advance completes at once). A step that ends at
 * once (a branch, a dashboard note, a wait already due) enters the next one from inside this call;
 * those wait in a queue rather than recursing, so a long chain costs no stack.
 */
export function activate(draft: Draft, id: string): void {
  const current = starting.get(draft);
  if (current !== undefined) {
    current.queue.push(id);
    return;
  }
  const run = { queue: [id], started: 0 };
  starting.set(draft, run);
  try {
    for (let next = run.queue.shift(); next !== undefined; next = run.queue.shift()) {
      if (++run.started > maxStartsPerEvent) {
        if (!isFinished(draft))
          failExecution(
            draft,
            `step ${next} was about to start after ${maxStartsPerEvent} others in one go: ` +
              'the recipe loops without waiting (a wait whose until has passed?)',
          );
        return;
      }
      enter(draft, next);
    }
  } finally {
    starting.delete(draft);
  }
}

function enter(draft: Draft, id: string): void {
  const step = stepOf(draft, id);
  const state = stepState(draft, id);
  if (state.status === 'skipped' && state.visit === 0) {
    // Skipped by a human before it was reached.
    state.visit = 1;
    advance(draft, step, null);
    return;
  }
  Object.assign(state, {
    status: 'pending',
    tries: 0,
    visit: state.visit + 1,
    branchesEnded: 0,
    output: null,
    error: null,
    startedAt: draft.at,
    finishedAt: null,
    decisions: [],
    timer: null,
  });
  if (!state.inputEdited) state.input = null;
  if (!draft.active.includes(id)) draft.active.push(id);
  begin(draft, step);
}

/**
 * Starts a step that is pending. While the execution is paused nothing new starts, whatever the
 * step's kind (no dispatch, notification, approval request, wait or branch): the step stays pending
 * and `execution.resumed` begins it.
 */
export function begin(draft: Draft, step: Step): void {
  if (draft.state.status === 'paused') return;
  const state = stepState(draft, step.id);
  const visit = state.visit;
  try {
    switch (step.kind) {
      case 'agent':
        dispatch(draft, step);
        return;
      case 'approval': {
        const prompt = draft.ctx.expressions.render(step.prompt, scopeOf(draft));
        state.status = 'waiting';
        state.input = { prompt }; // what people are asked, as rendered when the step began
        draft.commands.push({ kind: 'request_approval', stepId: step.id, prompt, quorum: step.quorum });
        if (step.timeoutMs !== null)
          startTimer(draft, step.id, `approval:${step.id}:${visit}`, draft.at + step.timeoutMs);
        return;
      }
      case 'wait': {
        state.status = 'waiting';
        if (step.forMs !== null) startTimer(draft, step.id, `wait:${step.id}:${visit}`, draft.at + step.forMs);
        else if (step.until !== null) {
          const due = toEpoch(draft.ctx.expressions.evaluate(step.until, scopeOf(draft)), step.until);
          if (due <= draft.at) complete(draft, step.id, { waitedUntil: new Date(due).toISOString() });
          else startTimer(draft, step.id, `wait:${step.id}:${visit}`, due);
        } else if (step.timeoutMs !== null)
          startTimer(draft, step.id, `waittimeout:${step.id}:${visit}`, draft.at + step.timeoutMs);
        return;
      }
      case 'branch': {
        const scope = scopeOf(draft);
        const chosen =
          step.cases.find((c) => draft.ctx.expressions.evaluate(c.if, scope) === true)?.goto ?? step.else ?? step.next;
        finish(draft, step.id, 'succeeded', { chosen });
        advanceTo(draft, step, chosen);
        return;
      }
      case 'notify': {
        if (awaitsDelivery(step)) {
          deliver(draft, step);
          return;
        }
        state.attempt += 1;
        const message = draft.ctx.expressions.render(step.message, scopeOf(draft));
        draft.commands.push({
          kind: 'notify',
          key: runKey(draft, step.id, state.attempt),
          stepId: step.id,
          channel: step.channel,
          message,
          url: step.url,
        });
        complete(draft, step.id, { message });
        return;
      }
      case 'parallel':
        state.status = 'running';
        for (const first of step.branches) activate(draft, first);
        return;
      case 'recipe':
        startChild(draft, step);
        return;
    }
  } catch (error) {
    if (!(error instanceof ExpressionError)) throw error;
    failStep(draft, step.id, error.message, false);
  }
}

/** Dispatches the next attempt of an agent step to a sandbox. */
export function dispatch(draft: Draft, step: AgentStep): void {
  const state = stepState(draft, step.id);
  const scope = scopeOf(draft);
  const input = state.input ?? renderInput(draft, step.input, scope);
  const prompt = draft.ctx.expressions.render(step.prompt, scope);
  state.input = input;
  state.attempt += 1;
  state.tries += 1;
  state.status = 'running';
  state.timer = null;
  const github =
    step.github === undefined || step.github === null
      ? {}
      : {
          github: {
            ...step.github,
            repositories: step.github.repositories.map((r) => draft.ctx.expressions.render(r, scope)),
          },
        };
  const subAgents = step.subAgents === undefined ? {} : { subAgents: step.subAgents };
  draft.commands.push({
    kind: 'dispatch',
    key: runKey(draft, step.id, state.attempt),
    stepId: step.id,
    attempt: state.attempt,
    profile: step.profile,
    prompt,
    input,
    timeoutMs: step.timeoutMs,
    ...github,
    ...subAgents,
  });
  if (step.timeoutMs !== null)
    startTimer(draft, step.id, `timeout:${step.id}:${state.attempt}`, draft.at + step.timeoutMs);
}

/**
 * Starts the next attempt of a recipe step: a new child execution (the shell creates it once per
 * attempt, keyed by `<execution>/<step>/<attempt>`) of the version pinned when the execution
 * started. The step runs until the child's end comes back as `step.completed` or `step.failed`.
 */
export function startChild(draft: Draft, step: RecipeStep): void {
  const state = stepState(draft, step.id);
  const inputs = state.input ?? renderInput(draft, step.inputs, scopeOf(draft), true);
  state.input = inputs;
  state.attempt += 1;
  state.tries += 1;
  state.status = 'running';
  state.timer = null;
  state.childExecutionId = null;
  // A step a move brought in (or one whose reference changed) has no pin: the shell takes the child's latest version.
  const pin = draft.state.pinned?.[step.id];
  const version = pin !== undefined && pin.recipeId === step.recipeId ? pin.version : null;
  draft.commands.push({
    kind: 'start_child',
    key: runKey(draft, step.id, state.attempt),
    stepId: step.id,
    attempt: state.attempt,
    recipeId: step.recipeId,
    version,
    inputs,
  });
  if (step.timeoutMs !== null)
    startTimer(draft, step.id, `timeout:${step.id}:${state.attempt}`, draft.at + step.timeoutMs);
}

/**
 * Stops the work of a running attempt, if it has any outside Baton: an agent's run is cancelled in its
 * sandbox, a recipe step's child execution is cancelled (with `reason`).
 */
export function stopRun(draft: Draft, id: string, reason: string): void {
  const state = stepState(draft, id);
  if (state.status !== 'running') return;
  const kind = stepOf(draft, id).kind;
  if (kind === 'agent') draft.commands.push({ kind: 'cancel_run', key: runKey(draft, id, state.attempt), stepId: id });
  else if (kind === 'recipe')
    draft.commands.push({
      kind: 'control_child',
      key: runKey(draft, id, state.attempt),
      stepId: id,
      action: 'cancel',
      reason,
    });
}

/**
 * Sends the next attempt of a notify step that waits for its delivery (a GitHub comment, a Drive
 * document, a webhook); the step runs until the delivery reports back as `step.completed` or `step.failed`.
 */
export function deliver(draft: Draft, step: NotifyStep): void {
  const state = stepState(draft, step.id);
  const scope = scopeOf(draft);
  const render = (template: string) => draft.ctx.expressions.render(template, scope);
  const message = render(step.message);
  if (step.channel === 'webhook') {
    if (step.url === null) throw new ExpressionError(`step ${step.id} has no webhook url`);
    running(draft, step.id, { message, url: step.url });
    draft.commands.push({
      kind: 'notify',
      key: runKey(draft, step.id, state.attempt),
      stepId: step.id,
      channel: step.channel,
      message,
      url: step.url,
      attempt: state.attempt,
    });
    return;
  }
  const target = step.target ?? null;
  if (target === null) throw new ExpressionError(`step ${step.id} has no ${step.channel} target`);
  const rendered =
    target.kind === 'github'
      ? { ...target, repository: render(target.repository), issue: render(target.issue) }
      : { ...target, folder: render(target.folder), title: render(target.title) };
  running(draft, step.id, { message, target: rendered });
  draft.commands.push({
    kind: 'notify',
    key: runKey(draft, step.id, state.attempt),
    stepId: step.id,
    channel: step.channel,
    message,
    url: null,
    attempt: state.attempt,
    target: rendered,
    integration: step.integration ?? null,
  });
}

/** Starts the next attempt of a delivery, with what it sends as the step's input. */
function running(draft: Draft, id: string, input: Record<string, unknown>): void {
  const state = stepState(draft, id);
  state.attempt += 1;
  state.tries += 1;
  state.status = 'running';
  state.timer = null;
  state.input = input;
}

/** How a step's failed attempts are retried; null for kinds that are never retried automatically. */
export function retryPolicyOf(step: Step): RetryPolicy | null {
  if (step.kind === 'agent' || step.kind === 'recipe') return step.retry;
  if (step.kind === 'notify' && awaitsDelivery(step)) return step.retry ?? defaultDeliveryRetry;
  return null;
}

/**
 * Deliveries (through an integration, or a webhook) try five times, 2 s to 30 s apart, unless the
 * recipe says otherwise.
 */
const defaultDeliveryRetry: RetryPolicy = { maxAttempts: 5, initialMs: 2_000, factor: 2, maxMs: 30_000 };

/**
 * Renders the string values of an input as templates. With `typed` (a child's inputs, which are checked
 * against its recipe's declared types), a string that is one `${...}` and nothing else takes the value
 * of its expression, not that value as text: `"${inputs.count}"` stays a number.
 */
function renderInput(
  draft: Draft,
  input: Readonly<Record<string, unknown>>,
  scope: Record<string, unknown>,
  typed = false,
): Record<string, unknown> {
  const render = (value: unknown): unknown => {
    if (typeof value === 'string') {
      const whole = typed ? /^\$\{([^]*)\}$/.exec(value) : null;
      if (whole !== null && !(whole[1] ?? '').includes('${')) {
        try {
          return draft.ctx.expressions.evaluate(whole[1] ?? '', scope);
        } catch {
          // Not one expression after all (`${a} and {b}`): rendered as the template it is.
        }
      }
      return draft.ctx.expressions.render(value, scope);
    }
    if (Array.isArray(value)) return value.map(render);
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]));
    return value;
  };
  return render(input) as Record<string, unknown>;
}

/** Starts a timer the step listens to; an older timer of the step is thereby ignored. */
export function startTimer(draft: Draft, stepId: string | null, timer: string, at: number): void {
  if (stepId !== null) stepState(draft, stepId).timer = timer;
  draft.commands.push({ kind: 'start_timer', timer, at });
}

/** A step succeeded with `output`: record it and move on. */
export function complete(draft: Draft, id: string, output: unknown): void {
  finish(draft, id, 'succeeded', output);
  advance(draft, stepOf(draft, id), null);
}

/** Records a step's end (without moving on). */
export function finish(
  draft: Draft,
  id: string,
  status: 'succeeded' | 'skipped' | 'failed' | 'cancelled',
  output: unknown,
  error: string | null = null,
): void {
  const state = stepState(draft, id);
  Object.assign(state, { status, output, error, finishedAt: draft.at, timer: null });
  draft.active = draft.active.filter((a) => a !== id);
}

/** Moves on from a finished step: to `target` when given, else to its successor. */
export function advance(draft: Draft, step: Step, target: string | null): void {
  advanceTo(draft, step, target ?? step.next);
}

/** Continues at `target`, or ends the step's sequence when it is null. */
export function advanceTo(draft: Draft, step: Step, target: string | null): void {
  if (isFinished(draft)) return;
  if (target !== null) {
    activate(draft, target);
    return;
  }
  if (step.parent === null) {
    draft.state.status = 'succeeded';
    draft.state.finishedAt = draft.at;
    draft.commands.push({ kind: 'finished', status: 'succeeded' });
    return;
  }
  // The end of a parallel branch: the parallel step completes when every branch has ended.
  const parent = stepOf(draft, step.parent);
  const parentState = stepState(draft, parent.id);
  parentState.branchesEnded += 1;
  if (parent.kind === 'parallel' && parentState.branchesEnded >= parent.branches.length) {
    const outputs: Record<string, unknown> = {};
    for (const [id, s] of Object.entries(draft.steps))
      if (recipeOf(draft).steps[id]?.parent === parent.id) outputs[id] = s.output;
    complete(draft, parent.id, outputs);
  }
}

/** An attempt failed: retry it when the policy allows, else fail the step and the execution. */
export function failStep(draft: Draft, id: string, error: string, retryable: boolean): void {
  const step = stepOf(draft, id);
  const state = stepState(draft, id);
  const policy = retryPolicyOf(step);
  if (policy !== null && retryable && state.tries < policy.maxAttempts) {
    state.status = 'scheduled';
    state.error = error;
    startTimer(draft, id, `retry:${id}:${state.attempt + 1}`, draft.at + retryDelayMs(policy, state.tries + 1));
    return;
  }
  finish(draft, id, 'failed', null, error);
  failExecution(draft, `step ${id} failed: ${error}`);
}

/** How many lost sandboxes one step survives before a loss counts as a failed try. */
export const maxLosses = 3;

/**
 * The sandbox running an attempt was lost (not the step's fault): start a new attempt, on a new
 * sandbox, at once (on resume, if paused) and without using up a try; after `maxLosses` losses it is
 * an ordinary failure.
 */
export function loseAttempt(draft: Draft, id: string, reason: string): void {
  const step = stepOf(draft, id);
  const state = stepState(draft, id);
  const losses = state.losses ?? 0;
  if (step.kind !== 'agent' || losses >= maxLosses) {
    failStep(draft, id, `the sandbox was lost: ${reason}`, true);
    return;
  }
  state.losses = losses + 1;
  state.tries -= 1;
  state.error = `the sandbox was lost: ${reason}`;
  if (draft.state.status === 'paused') {
    // The new attempt starts on resume, like everything else that would start while paused.
    Object.assign(state, { status: 'pending', timer: null });
    return;
  }
  dispatch(draft, step);
}

/** Ends the execution as failed; runs still going are cancelled. */
export function failExecution(draft: Draft, reason: string): void {
  stopActive(draft, 'cancelled');
  draft.state.status = 'failed';
  draft.state.reason = reason;
  draft.state.finishedAt = draft.at;
  draft.commands.push({ kind: 'finished', status: 'failed' });
}

/** Stops every active step (cancelling running agent runs and child executions). */
export function stopActive(draft: Draft, status: 'cancelled'): void {
  for (const id of [...draft.active]) {
    stopRun(draft, id, 'the parent execution ended');
    finish(draft, id, status, null, 'stopped because the execution ended');
  }
}

/** After an event: running while any agent work is under way, waiting when only humans, timers or events can help. */
export function refreshStatus(draft: Draft): void {
  if (isFinished(draft) || draft.state.status === 'paused') return;
  const working = draft.active.some((id) => {
    const s = stepState(draft, id);
    const step = stepOf(draft, id);
    return (
      (step.kind === 'agent' || step.kind === 'recipe' || awaitsDelivery(step)) &&
      (s.status === 'running' || s.status === 'pending')
    );
  });
  draft.state.status = working || draft.active.length === 0 ? 'running' : 'waiting';
}

/** The furthest a Date can be from 1970, either way (100,000,000 days): a timer must fall within it. */
const furthestTime = 8.64e15;

function toEpoch(value: unknown, expression: string): number {
  const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms) || Math.abs(ms) > furthestTime)
    throw new ExpressionError(`"${expression}" must give a time (ISO 8601 or epoch ms), got ${JSON.stringify(value)}`);
  return ms;
}
