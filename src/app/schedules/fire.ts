import { isFinishedStatus, type Decided } from '../../domain/orchestrator/execution.ts';
import { overlapDecision, planDueFires, previousRunOf, type PreviousRun } from '../../domain/schedules/policy.ts';
import type { ExecutionRecord } from '../../ports/executions.ts';
import type { ScheduleRecord } from '../../ports/schedules.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import { controlOf } from '../access.ts';
import { checkInputs, launchExecution } from '../orchestrator/executions.ts';
import { fireTimesAfter, fireTimesBefore, nextFireTime } from './cron.ts';
import { armTimer, type ScheduleDeps, type ScheduleFireJob } from './schedule-deps.ts';

/** At most this many fire times are handled (recorded) at once; older missed ones are not listed. */
const maxDue = 1_000;

type Committed = Array<{
  record: Pick<ExecutionRecord, 'id' | 'workspaceId' | 'dashboardId' | 'recipeId'>;
  decided: Decided;
}>;

/** After a commit: relay the timer job, and set the in-process alarm that fires on the dot. */
export function timerCommitted(
  deps: ScheduleDeps,
  scheduleId: string,
  timer: { timerId: string; at: Date } | null,
): void {
  deps.outbox.kick();
  if (timer === null) return;
  deps.alarms.set(`schedule:${scheduleId}`, timer.at, () => {
    fireSchedule(deps, { scheduleId, timerId: timer.timerId }).catch((error: unknown) =>
      deps.logger.warn({ err: error, scheduleId }, 'schedule alarm failed; its job will fire it'),
    );
  });
}

/**
 * At start-up: sets the in-process alarm of every armed schedule, so that fires after a restart are
 * on the dot too (their delayed jobs are there either way).
 */
export async function rearmAlarms(deps: ScheduleDeps): Promise<void> {
  for (const schedule of await deps.schedules.armed(10_000)) {
    const at = nextFireTime(schedule, schedule.cursor, schedule.endAt);
    if (at !== null && schedule.timerId !== null) timerCommitted(deps, schedule.id, { timerId: schedule.timerId, at });
  }
}

/**
 * A schedule's timer went off (its delayed job, or the in-process alarm for the same timer; the
 * first one does the work). Under the schedule's row lock: every fire time now due gets its row
 * (unique per schedule and time, so a fire starts at most one execution however many instances
 * run), the catch-up and overlap policies decide what each does, and the next timer is armed, all
 * in one transaction. A timer that is no longer the schedule's current one does nothing.
 */
export async function fireSchedule(deps: ScheduleDeps, job: ScheduleFireJob): Promise<void> {
  const before = await deps.schedules.get(job.scheduleId);
  if (before === undefined || before.paused || before.timerId !== job.timerId) return;
  // Checked before the transaction: work inside it uses its own connection only (many schedules
  // firing at once must not each hold one connection while waiting for a second).
  const access = await refusalOf(deps, before);
  const committed: Committed = [];
  const timer = await deps.ctx.unitOfWork.run(async (tx) => {
    const schedule = await deps.schedules.lock(job.scheduleId, tx);
    if (schedule === undefined || schedule.paused || schedule.timerId !== job.timerId) return undefined;
    const now = deps.ctx.clock.now();
    const until = schedule.endAt !== null && schedule.endAt < now ? schedule.endAt : now;
    let due = fireTimesAfter(schedule, schedule.cursor, maxDue + 1, until);
    if (due.length > maxDue) due = fireTimesBefore(schedule, until, maxDue).filter((d) => d > schedule.cursor);
    let state = { lastExecutionId: schedule.lastExecutionId, queuedFireAt: schedule.queuedFireAt };
    if (state.queuedFireAt !== null) state = await startQueuedIfFree(deps, schedule, state, access, now, tx, committed);
    const refusal = access;
    for (const planned of planDueFires(due, now, schedule.catchUp, deps.missedAfterMs)) {
      const base = { scheduleId: schedule.id, fireAt: planned.fireAt, handledAt: now };
      if (!planned.run) {
        await deps.schedules.recordFire({ ...base, outcome: 'missed', executionId: null, reason: planned.reason }, tx);
        continue;
      }
      if (refusal !== null) {
        await deps.schedules.recordFire({ ...base, outcome: 'refused', executionId: null, reason: refusal }, tx);
        continue;
      }
      const previous = await previousOf(deps, state.lastExecutionId, tx);
      const decision = overlapDecision(schedule.overlap, previous);
      if (decision === 'skip') {
        await deps.schedules.recordFire(
          {
            ...base,
            outcome: 'skipped',
            executionId: null,
            reason:
              `the previous execution (${state.lastExecutionId ?? ''}) is ` +
              `still ${previous === 'working' ? 'working' : 'unfinished'}`,
          },
          tx,
        );
        continue;
      }
      if (decision === 'queue') {
        if (
          !(await deps.schedules.recordFire(
            { ...base, outcome: 'queued', executionId: null, reason: 'waits for the previous execution to finish' },
            tx,
          ))
        )
          continue;
        if (state.queuedFireAt !== null)
          await deps.schedules.updateFire(
            schedule.id,
            state.queuedFireAt,
            {
              outcome: 'skipped',
              reason: `replaced by the newer fire at ${planned.fireAt.toISOString()}`,
              handledAt: now,
            },
            tx,
          );
        state = { ...state, queuedFireAt: planned.fireAt };
        continue;
      }
      if (!(await deps.schedules.recordFire({ ...base, outcome: 'started', executionId: null, reason: null }, tx)))
        continue;
      if (decision === 'cancel-previous' && state.lastExecutionId !== null)
        await cancelPrevious(deps, schedule, state.lastExecutionId, planned.fireAt, tx, committed);
      const started = await launch(deps, schedule, tx, committed);
      await deps.schedules.updateFire(
        schedule.id,
        planned.fireAt,
        typeof started === 'string' ? { outcome: 'refused', reason: started } : { executionId: started.id },
        tx,
      );
      if (typeof started !== 'string') state = { ...state, lastExecutionId: started.id };
    }
    const cursor = due.at(-1) ?? schedule.cursor;
    // Always a new timer id: a late copy of this timer (job or alarm) then finds nothing to do.
    const next = await armTimer(deps, schedule, cursor > now ? cursor : now, tx);
    await deps.schedules.update(schedule.id, { cursor, timerId: next?.timerId ?? null, ...state }, tx);
    return next;
  });
  if (timer === undefined) return;
  for (const { record, decided } of committed) deps.engine.committed(record, decided);
  timerCommitted(deps, job.scheduleId, timer);
}

/** The previous execution finished: a schedule's queued fire waiting for it starts now. */
export async function scheduleExecutionFinished(deps: ScheduleDeps, executionId: string): Promise<void> {
  for (const scheduleId of await deps.schedules.waitingOn(executionId)) {
    const before = await deps.schedules.get(scheduleId);
    if (before === undefined) continue;
    const access = await refusalOf(deps, before);
    const committed: Committed = [];
    await deps.ctx.unitOfWork.run(async (tx) => {
      const schedule = await deps.schedules.lock(scheduleId, tx);
      if (schedule === undefined || schedule.queuedFireAt === null || schedule.lastExecutionId !== executionId) return;
      const state = await startQueuedIfFree(
        deps,
        schedule,
        { lastExecutionId: schedule.lastExecutionId, queuedFireAt: schedule.queuedFireAt },
        access,
        deps.ctx.clock.now(),
        tx,
        committed,
      );
      await deps.schedules.update(schedule.id, state, tx);
    });
    for (const { record, decided } of committed) deps.engine.committed(record, decided);
  }
}

type FireState = { lastExecutionId: string | null; queuedFireAt: Date | null };

async function startQueuedIfFree(
  deps: ScheduleDeps,
  schedule: ScheduleRecord,
  state: FireState,
  refusal: string | null,
  now: Date,
  tx: Transaction,
  committed: Committed,
): Promise<FireState> {
  const queuedAt = state.queuedFireAt;
  if (queuedAt === null) return state;
  const previous = await previousOf(deps, state.lastExecutionId, tx);
  if (previous !== 'none' && previous !== 'finished') return state;
  const started = refusal ?? (await launch(deps, schedule, tx, committed));
  if (typeof started === 'string') {
    await deps.schedules.updateFire(schedule.id, queuedAt, { outcome: 'refused', reason: started, handledAt: now }, tx);
    return { ...state, queuedFireAt: null };
  }
  await deps.schedules.updateFire(
    schedule.id,
    queuedAt,
    {
      outcome: 'started',
      executionId: started.id,
      reason: 'started when the previous execution finished',
      handledAt: now,
    },
    tx,
  );
  return { lastExecutionId: started.id, queuedFireAt: null };
}

async function previousOf(deps: ScheduleDeps, executionId: string | null, tx: Transaction): Promise<PreviousRun> {
  if (executionId === null) return 'none';
  const record = await deps.ctx.executions.lock(executionId, tx);
  if (record === undefined) return 'none';
  if (isFinishedStatus(record.state.status)) return 'finished';
  // Read in the transaction (not through the engine's cache, which may need another connection).
  const recipe = (await deps.ctx.recipes.version(record.recipeId, record.state.recipeVersion, tx))?.compiled;
  return previousRunOf(record.state, (stepId) => recipe?.steps[stepId]?.kind);
}

/** Why the schedule's owner may no longer start executions there, or null. */
async function refusalOf(deps: ScheduleDeps, schedule: ScheduleRecord): Promise<string | null> {
  if (schedule.createdBy === null) return 'the schedule has no owner any more (the user was deleted)';
  const control = await controlOf(deps.ctx, schedule.createdBy, schedule.dashboardId);
  if ('refusal' in control) return "the schedule's owner can no longer start executions in its dashboard";
  return control.dashboard.archivedAt === null ? null : 'the dashboard is archived';
}

/** Starts the recipe's latest version; a string says why it could not. */
async function launch(
  deps: ScheduleDeps,
  schedule: ScheduleRecord,
  tx: Transaction,
  committed: Committed,
): Promise<{ id: string } | string> {
  const recipe = await deps.ctx.recipes.get(schedule.recipeId, tx);
  if (recipe !== undefined && recipe.archivedAt !== null) return 'the recipe is archived';
  const version =
    recipe === undefined ? undefined : await deps.ctx.recipes.version(schedule.recipeId, recipe.latestVersion, tx);
  if (version === undefined) return 'the recipe has no version';
  try {
    checkInputs(version.compiled, { ...schedule.inputs });
  } catch (error) {
    return (
      `the schedule's inputs do not fit the recipe's latest version: ` +
      `${error instanceof Error ? error.message : String(error)}`
    );
  }
  const launched = await launchExecution(
    deps.ctx,
    deps.engine,
    {
      workspaceId: schedule.workspaceId,
      dashboardId: schedule.dashboardId,
      recipeId: schedule.recipeId,
      version: version.version,
      inputs: { ...schedule.inputs },
      createdBy: schedule.createdBy,
      actor: { kind: 'system' },
      origin: { kind: 'schedule', id: schedule.id },
    },
    tx,
  );
  committed.push(launched);
  return { id: launched.record.id };
}

async function cancelPrevious(
  deps: ScheduleDeps,
  schedule: ScheduleRecord,
  executionId: string,
  fireAt: Date,
  tx: Transaction,
  committed: Committed,
): Promise<void> {
  const record = await deps.ctx.executions.lock(executionId, tx);
  if (record === undefined || isFinishedStatus(record.state.status)) return;
  const decided = await deps.engine.applyLocked(
    record,
    {
      type: 'execution.cancelled',
      reason: `cancelled by schedule "${schedule.name}": a newer fire at ${fireAt.toISOString()}`,
    },
    { kind: 'system' },
    tx,
  );
  committed.push({ record, decided });
}
