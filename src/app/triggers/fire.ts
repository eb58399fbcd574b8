import { InvalidInputError } from '../../domain/errors.ts';
import { isFinishedStatus } from '../../domain/orchestrator/execution.ts';
import type { ExecutionRecord } from '../../ports/executions.ts';
import type { FiringOutcome, InboundEvent, TriggerAction, TriggerRecord } from '../../ports/triggers.ts';
import { auditBy, controlOf } from '../access.ts';
import { checkInputs, launchExecution } from '../orchestrator/executions.ts';
import type { FireDeps } from './trigger-deps.ts';

/**
 * What a trigger's filter and inputs read as `event`: `{ source, name, deliveryId, payload,
 * receivedAt }` (receivedAt as an ISO 8601 string; payload is the posted JSON object).
 */
export function eventScope(event: InboundEvent): { event: Record<string, unknown> } {
  return {
    event: {
      source: event.source,
      name: event.name,
      deliveryId: event.deliveryId,
      payload: event.payload,
      receivedAt: event.receivedAt.toISOString(),
    },
  };
}

/**
 * The job of one inbound event: every trigger that may see it decides what to do, once. Each
 * trigger's outcome is written in the transaction that acts on it (keyed by trigger and event), so a
 * repeated job skips what was done and finishes what was not.
 */
export async function handleInboundEvent(deps: FireDeps, eventId: string): Promise<void> {
  const event = await deps.triggers.event(eventId);
  if (event === undefined) return; // deleted with its trigger
  // A GitHub delivery reaches the enabled GitHub triggers of the workspace its installation is
  // connected to; a generic hook's delivery, its own trigger.
  const triggers =
    event.triggerId !== null
      ? [await deps.triggers.get(event.triggerId)].filter((t) => t !== undefined)
      : event.workspaceId === null
        ? []
        : await deps.triggers.listening(event.source, event.name, event.workspaceId);
  for (const trigger of triggers) {
    if ((await deps.triggers.firing(trigger.id, event.id)) !== undefined) continue;
    await fireTrigger(deps, trigger, event);
  }
}

type RecordOutcome = (outcome: FiringOutcome, reason: string) => Promise<void>;

async function fireTrigger(deps: FireDeps, trigger: TriggerRecord, event: InboundEvent): Promise<void> {
  const record: RecordOutcome = async (outcome, reason) =>
    void (await deps.triggers.recordFiring({
      triggerId: trigger.id,
      eventId: event.id,
      outcome,
      executionId: null,
      woke: null,
      reason,
      handledAt: deps.ctx.clock.now(),
    }));
  if (!trigger.enabled) return record('skipped', 'the trigger is disabled');
  if (trigger.event !== null && trigger.event !== event.name)
    return record('skipped', `the event is "${event.name}"; the trigger listens for "${trigger.event}"`);
  const scope = eventScope(event);
  if (trigger.filter !== null) {
    let matched: unknown;
    try {
      matched = deps.expressions.evaluate(trigger.filter, scope);
    } catch (error) {
      return record('skipped', `the filter failed: ${messageOf(error)}`);
    }
    if (matched !== true)
      return record(
        'skipped',
        matched === false
          ? 'the filter did not match'
          : `the filter gave ${matched === null ? 'null' : `a ${typeof matched}`}, not a bool`,
      );
  }
  if (trigger.createdBy === null) return record('refused', "the trigger's creator no longer exists");
  const creator = trigger.createdBy;
  if (trigger.action.kind === 'start') return start(deps, trigger, trigger.action, event, creator, record);
  return wake(deps, trigger, trigger.action, event, creator);
}

/** Starts the recipe, unless the creator lost the right to (refused) or the inputs do not fit (failed). */
async function start(
  deps: FireDeps,
  trigger: TriggerRecord,
  action: Extract<TriggerAction, { kind: 'start' }>,
  event: InboundEvent,
  creator: string,
  record: RecordOutcome,
): Promise<void> {
  const control = await controlOf(deps.ctx, creator, action.dashboardId);
  if ('refusal' in control)
    return record(
      'refused',
      `the trigger's creator may no longer start executions on its dashboard (${control.refusal.message})`,
    );
  const { dashboard } = control;
  if (dashboard.workspaceId !== trigger.workspaceId) return record('refused', 'the dashboard is in another workspace');
  if (dashboard.archivedAt !== null) return record('refused', 'the dashboard is archived');
  const recipe = await deps.ctx.recipes.get(action.recipeId);
  if (recipe !== undefined && recipe.archivedAt !== null) return record('refused', 'the recipe is archived');
  const version =
    recipe === undefined || recipe.workspaceId !== trigger.workspaceId
      ? undefined
      : await deps.ctx.recipes.version(recipe.id, recipe.latestVersion);
  if (version === undefined) return record('failed', 'the recipe or its latest version no longer exists');
  const inputs: Record<string, unknown> = {};
  const scope = eventScope(event);
  for (const [name, expression] of Object.entries(action.inputs)) {
    try {
      inputs[name] = deps.expressions.evaluate(expression, scope);
    } catch (error) {
      return record('failed', `inputs.${name}: ${messageOf(error)}`);
    }
  }
  try {
    checkInputs(version.compiled, inputs);
  } catch (error) {
    if (error instanceof InvalidInputError)
      return record('failed', error.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; '));
    throw error;
  }
  const launched = await deps.ctx.unitOfWork.run(async (tx) => {
    // The firing first: a concurrent run of the same job waits here, then finds it and stops.
    if (
      !(await deps.triggers.recordFiring(
        {
          triggerId: trigger.id,
          eventId: event.id,
          outcome: 'started',
          executionId: null,
          woke: null,
          reason: null,
          handledAt: deps.ctx.clock.now(),
        },
        tx,
      ))
    )
      return undefined;
    const made = await launchExecution(
      deps.ctx,
      deps.engine,
      {
        workspaceId: trigger.workspaceId,
        dashboardId: dashboard.id,
        recipeId: version.recipeId,
        version: version.version,
        inputs,
        createdBy: trigger.createdBy,
        actor: { kind: 'system' },
        origin: { kind: 'trigger', id: trigger.id },
      },
      tx,
    );
    await deps.triggers.updateFiring(trigger.id, event.id, { executionId: made.record.id }, tx);
    await deps.ctx.audit.record(
      auditBy(null, null, {
        action: 'execution.started',
        workspaceId: trigger.workspaceId,
        targetType: 'execution',
        targetId: made.record.id,
        details: {
          recipeId: version.recipeId,
          version: version.version,
          dashboardId: dashboard.id,
          triggerId: trigger.id,
          eventId: event.id,
        },
      }),
      tx,
    );
    return made;
  });
  if (launched !== undefined) deps.engine.committed(launched.record, launched.decided);
}

/**
 * Delivers the payload as event `action.event` to every unfinished execution of the workspace with
 * a wait step waiting for it, on dashboards where the creator controls executions (the others are
 * left alone and counted in the reason). All in one transaction with the firing: exactly once.
 */
async function wake(
  deps: FireDeps,
  trigger: TriggerRecord,
  action: Extract<TriggerAction, { kind: 'wake' }>,
  event: InboundEvent,
  creator: string,
): Promise<void> {
  const allowed = new Map<string, boolean>();
  const targets: string[] = [];
  let refused = 0;
  for (const id of await deps.triggers.waitingExecutions(trigger.workspaceId)) {
    const execution = await deps.ctx.executions.get(id);
    if (execution === undefined || (await waitingSteps(deps, execution, action.event)).length === 0) continue;
    let ok = allowed.get(execution.dashboardId);
    if (ok === undefined)
      allowed.set(
        execution.dashboardId,
        (ok = !('refusal' in (await controlOf(deps.ctx, creator, execution.dashboardId)))),
      );
    if (ok) targets.push(id);
    else refused++;
  }
  const applied = await deps.ctx.unitOfWork.run(async (tx) => {
    const note =
      refused === 0
        ? null
        : `${refused} waiting execution(s) on dashboards the trigger's creator may not control were left alone`;
    if (
      !(await deps.triggers.recordFiring(
        {
          triggerId: trigger.id,
          eventId: event.id,
          outcome: 'woke',
          executionId: null,
          woke: 0,
          reason: note,
          handledAt: deps.ctx.clock.now(),
        },
        tx,
      ))
    )
      return [];
    const done = [];
    let woke = 0;
    // Ids are sorted, so two wakes lock executions in the same order.
    for (const id of targets) {
      const locked = await deps.ctx.executions.lock(id, tx);
      const waiting = locked === undefined ? [] : await waitingSteps(deps, locked, action.event);
      if (locked === undefined || waiting.length === 0) continue;
      const decided = await deps.engine.applyLocked(
        locked,
        { type: 'event.received', name: action.event, payload: event.payload },
        { kind: 'system' },
        tx,
      );
      if (waiting.some((stepId) => decided.state.steps[stepId]?.status !== 'waiting')) woke++;
      done.push({ record: locked, decided });
    }
    await deps.triggers.updateFiring(trigger.id, event.id, { woke }, tx);
    return done;
  });
  for (const { record, decided } of applied) deps.engine.committed(record, decided);
}

/** The execution's wait steps now waiting for the event `name`. */
async function waitingSteps(deps: FireDeps, execution: ExecutionRecord, name: string): Promise<string[]> {
  if (isFinishedStatus(execution.state.status)) return [];
  const recipe = await deps.engine.recipeOf(execution);
  return execution.state.active.filter((id) => {
    const step = recipe.steps[id];
    return step?.kind === 'wait' && step.event?.name === name && execution.state.steps[id]?.status === 'waiting';
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
