import type { Principal } from '../../domain/access/principal.ts';
import { InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import type { ScheduleFire, SchedulePatch, ScheduleRecord } from '../../ports/schedules.ts';
import { auditBy, hiddenAs, requireDashboard, requireWorkspace } from '../access.ts';
import { checkInputs } from '../orchestrator/executions.ts';
import { requireRecipe } from '../orchestrator/recipes.ts';
import { cronProblem, fireTimesAfter } from './cron.ts';
import { timerCommitted } from './fire.ts';
import { armTimer, type ScheduleDeps } from './schedule-deps.ts';

/** What a schedule is made of (the API's body, defaults applied). */
export type ScheduleInput = Pick<
  ScheduleRecord,
  'name' | 'recipeId' | 'dashboardId' | 'inputs' | 'cron' | 'timezone' | 'overlap' | 'catchUp' | 'paused' | 'endAt'
>;

/** The changes `PATCH /v1/schedules/{id}` takes. */
export type ScheduleChange = Partial<Omit<ScheduleInput, 'recipeId' | 'dashboardId'>>;

/** A schedule as the API shows it: its next fire times included (none while paused or ended). */
export type ScheduleView = Omit<ScheduleRecord, 'cursor' | 'timerId'> & { readonly nextFires: readonly Date[] };

const view = (s: ScheduleRecord, now: Date): ScheduleView => {
  const { cursor: _cursor, timerId: _timer, ...rest } = s;
  return { ...rest, nextFires: s.paused ? [] : fireTimesAfter(s, s.cursor > now ? s.cursor : now, 5, s.endAt) };
};

/** Creates a schedule; its first timer commits with it. Needs control of the dashboard's executions. */
export async function createSchedule(
  deps: ScheduleDeps,
  principal: Principal,
  workspaceId: string,
  input: ScheduleInput,
  requestId: string,
): Promise<ScheduleView> {
  const { ctx } = deps;
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read');
  const recipe = await hiddenAs('Recipe', requireRecipe(ctx, principal, input.recipeId, 'workspace.read'));
  const { dashboard } = await requireDashboard(ctx, principal, input.dashboardId, 'execution.control');
  if (recipe.workspaceId !== workspaceId) throw new NotFoundError('Recipe');
  if (dashboard.workspaceId !== workspaceId) throw new NotFoundError('Dashboard');
  const now = ctx.clock.now();
  await validate(deps, { ...input }, now);
  const id = crypto.randomUUID();
  const timer = await ctx.unitOfWork.run(async (tx) => {
    const next = input.paused ? null : await armTimer(deps, { id, ...input }, now, tx);
    await deps.schedules.create(
      {
        id,
        workspaceId,
        ...input,
        cursor: now,
        timerId: next?.timerId ?? null,
        lastExecutionId: null,
        queuedFireAt: null,
        createdBy: principal.userId,
      },
      tx,
    );
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'schedule.created',
        workspaceId,
        targetType: 'schedule',
        targetId: id,
        details: {
          recipeId: input.recipeId,
          dashboardId: input.dashboardId,
          cron: input.cron,
          timezone: input.timezone,
        },
      }),
      tx,
    );
    return next;
  });
  timerCommitted(deps, id, timer);
  return view(await requireStored(deps, id), now);
}

/** A schedule, for anyone who can see its dashboard. */
export async function getSchedule(deps: ScheduleDeps, principal: Principal, scheduleId: string): Promise<ScheduleView> {
  return view(await requireSchedule(deps, principal, scheduleId, 'dashboard.read'), deps.ctx.clock.now());
}

/** A workspace's schedules whose dashboards the caller can see. */
export async function listSchedules(
  deps: ScheduleDeps,
  principal: Principal,
  workspaceId: string,
): Promise<ScheduleView[]> {
  await requireWorkspace(deps.ctx, principal, workspaceId, 'workspace.read');
  const visible = new Map<string, boolean>();
  const out: ScheduleView[] = [];
  const now = deps.ctx.clock.now();
  for (const s of await deps.schedules.list(workspaceId)) {
    if (!visible.has(s.dashboardId))
      visible.set(
        s.dashboardId,
        await requireDashboard(deps.ctx, principal, s.dashboardId, 'dashboard.read').then(
          () => true,
          () => false,
        ),
      );
    if (visible.get(s.dashboardId) === true) out.push(view(s, now));
  }
  return out;
}

/**
 * Changes a schedule. A change of its timing (cron, time zone, pause, end) replaces its timer: fires
 * before now are not made up (a paused schedule resumes from now on), the next one fires as new.
 */
export async function updateSchedule(
  deps: ScheduleDeps,
  principal: Principal,
  scheduleId: string,
  change: ScheduleChange,
  requestId: string,
): Promise<ScheduleView> {
  const { ctx } = deps;
  const current = await requireSchedule(deps, principal, scheduleId, 'execution.control');
  const now = ctx.clock.now();
  const merged = { ...current, ...change };
  await validate(deps, merged, now);
  const retimed = ['cron', 'timezone', 'paused', 'endAt'].some(
    (k) =>
      k in change &&
      JSON.stringify(change[k as keyof ScheduleChange]) !== JSON.stringify(current[k as keyof ScheduleRecord]),
  );
  const timer = await ctx.unitOfWork.run(async (tx) => {
    const locked = await deps.schedules.lock(scheduleId, tx);
    if (locked === undefined) throw new NotFoundError('Schedule');
    const patch: SchedulePatch = { ...change };
    let next: Awaited<ReturnType<typeof armTimer>> | undefined;
    if (retimed) {
      const cursor = locked.cursor > now ? locked.cursor : now;
      next = merged.paused ? null : await armTimer(deps, { ...locked, ...change }, cursor, tx);
      Object.assign(patch, { cursor, timerId: next?.timerId ?? null });
    }
    await deps.schedules.update(scheduleId, patch, tx);
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'schedule.updated',
        workspaceId: current.workspaceId,
        targetType: 'schedule',
        targetId: scheduleId,
        details: { fields: Object.keys(change) },
      }),
      tx,
    );
    return next;
  });
  if (timer !== undefined) timerCommitted(deps, scheduleId, timer);
  return view(await requireStored(deps, scheduleId), now);
}

/** Deletes a schedule with its fires (its pending timer then finds nothing). */
export async function deleteSchedule(
  deps: ScheduleDeps,
  principal: Principal,
  scheduleId: string,
  requestId: string,
): Promise<void> {
  const current = await requireSchedule(deps, principal, scheduleId, 'execution.control');
  await deps.ctx.unitOfWork.run(async (tx) => {
    await deps.schedules.delete(scheduleId, tx);
    await deps.ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'schedule.deleted',
        workspaceId: current.workspaceId,
        targetType: 'schedule',
        targetId: scheduleId,
      }),
      tx,
    );
  });
}

/** A page of past fires, newest first: what each started or why it did not. */
export async function listScheduleFires(
  deps: ScheduleDeps,
  principal: Principal,
  scheduleId: string,
  page: { before: Date | null; limit: number },
): Promise<{ fires: ScheduleFire[]; next: string | null }> {
  await requireSchedule(deps, principal, scheduleId, 'dashboard.read');
  const fires = await deps.schedules.fires(scheduleId, page);
  return { fires, next: fires.length === page.limit ? (fires.at(-1)?.fireAt.toISOString() ?? null) : null };
}

async function validate(
  deps: ScheduleDeps,
  s: Pick<ScheduleInput, 'cron' | 'timezone' | 'endAt' | 'inputs' | 'recipeId'>,
  now: Date,
): Promise<void> {
  const problem = cronProblem(s, now);
  if (problem !== null)
    throw new InvalidInputError([{ location: 'body', path: problem.field, message: problem.message }]);
  if (s.endAt !== null && s.endAt <= now)
    throw new InvalidInputError([{ location: 'body', path: 'endAt', message: 'must be in the future' }]);
  const recipe = await deps.ctx.recipes.get(s.recipeId);
  const version = recipe === undefined ? undefined : await deps.ctx.recipes.version(s.recipeId, recipe.latestVersion);
  if (version !== undefined) checkInputs(version.compiled, { ...s.inputs });
}

async function requireSchedule(
  deps: ScheduleDeps,
  principal: Principal,
  scheduleId: string,
  action: 'dashboard.read' | 'execution.control',
): Promise<ScheduleRecord> {
  const schedule = await deps.schedules.get(scheduleId);
  if (schedule === undefined) throw new NotFoundError('Schedule');
  await hiddenAs('Schedule', requireDashboard(deps.ctx, principal, schedule.dashboardId, action));
  return schedule;
}

async function requireStored(deps: ScheduleDeps, id: string): Promise<ScheduleRecord> {
  const s = await deps.schedules.get(id);
  if (s === undefined) throw new NotFoundError('Schedule');
  return s;
}
