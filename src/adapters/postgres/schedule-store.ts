import type { Selectable } from 'kysely';
import type { CatchUp, OverlapPolicy } from '../../domain/schedules/policy.ts';
import type { FireOutcome, ScheduleFire, ScheduleRecord, ScheduleStore } from '../../ports/schedules.ts';
import type { Database } from './database.ts';
import type { SchedulesTable } from './schema.ts';
import { executor } from './executor.ts';

type Row = Selectable<SchedulesTable>;

const toSchedule = (r: Row): ScheduleRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  dashboardId: r.dashboard_id,
  recipeId: r.recipe_id,
  name: r.name,
  inputs: r.inputs,
  cron: r.cron,
  timezone: r.timezone,
  overlap: r.overlap as OverlapPolicy,
  catchUp: { mode: r.catch_up as CatchUp['mode'], limit: r.catch_up_limit },
  paused: r.paused,
  endAt: r.end_at,
  cursor: r.cursor,
  timerId: r.timer_id,
  lastExecutionId: r.last_execution_id,
  queuedFireAt: r.queued_fire_at,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** Schedules and their fires in Postgres. */
export function createScheduleStore(db: Database): ScheduleStore {
  return {
    async create(s, tx) {
      await executor(db, tx)
        .insertInto('schedules')
        .values({
          id: s.id,
          workspace_id: s.workspaceId,
          dashboard_id: s.dashboardId,
          recipe_id: s.recipeId,
          name: s.name,
          inputs: JSON.stringify(s.inputs),
          cron: s.cron,
          timezone: s.timezone,
          overlap: s.overlap,
          catch_up: s.catchUp.mode,
          catch_up_limit: s.catchUp.limit,
          paused: s.paused,
          end_at: s.endAt,
          cursor: s.cursor,
          timer_id: s.timerId,
          last_execution_id: s.lastExecutionId,
          queued_fire_at: s.queuedFireAt,
          created_by: s.createdBy,
        })
        .execute();
    },
    async get(id, tx) {
      const row = await executor(db, tx).selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toSchedule(row);
    },
    async lock(id, tx) {
      const row = await executor(db, tx)
        .selectFrom('schedules')
        .selectAll()
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      return row === undefined ? undefined : toSchedule(row);
    },
    async list(workspaceId) {
      return (
        await db
          .selectFrom('schedules')
          .selectAll()
          .where('workspace_id', '=', workspaceId)
          .orderBy('created_at')
          .orderBy('id')
          .limit(1000)
          .execute()
      ).map((r) => toSchedule(r));
    },
    async update(id, p, tx) {
      await executor(db, tx)
        .updateTable('schedules')
        .set({
          updated_at: new Date(),
          ...(p.name === undefined ? {} : { name: p.name }),
          ...(p.inputs === undefined ? {} : { inputs: JSON.stringify(p.inputs) }),
          ...(p.cron === undefined ? {} : { cron: p.cron }),
          ...(p.timezone === undefined ? {} : { timezone: p.timezone }),
          ...(p.overlap === undefined ? {} : { overlap: p.overlap }),
          ...(p.catchUp === undefined ? {} : { catch_up: p.catchUp.mode, catch_up_limit: p.catchUp.limit }),
          ...(p.paused === undefined ? {} : { paused: p.paused }),
          ...(p.endAt === undefined ? {} : { end_at: p.endAt }),
          ...(p.cursor === undefined ? {} : { cursor: p.cursor }),
          ...(p.timerId === undefined ? {} : { timer_id: p.timerId }),
          ...(p.lastExecutionId === undefined ? {} : { last_execution_id: p.lastExecutionId }),
          ...(p.queuedFireAt === undefined ? {} : { queued_fire_at: p.queuedFireAt }),
          ...(p.dashboardId === undefined ? {} : { dashboard_id: p.dashboardId }),
          ...(p.recipeId === undefined ? {} : { recipe_id: p.recipeId }),
        })
        .where('id', '=', id)
        .execute();
    },
    async delete(id, tx) {
      const result = await executor(db, tx).deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async recordFire(f, tx) {
      const inserted = await executor(db, tx)
        .insertInto('schedule_fires')
        .values({
          schedule_id: f.scheduleId,
          fire_at: f.fireAt,
          outcome: f.outcome,
          execution_id: f.executionId,
          reason: f.reason,
          handled_at: f.handledAt,
        })
        .onConflict((oc) => oc.columns(['schedule_id', 'fire_at']).doNothing())
        .returning('fire_at')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async updateFire(scheduleId, fireAt, p, tx) {
      await executor(db, tx)
        .updateTable('schedule_fires')
        .set({
          ...(p.outcome === undefined ? {} : { outcome: p.outcome }),
          ...(p.executionId === undefined ? {} : { execution_id: p.executionId }),
          ...(p.reason === undefined ? {} : { reason: p.reason }),
          ...(p.handledAt === undefined ? {} : { handled_at: p.handledAt }),
        })
        .where('schedule_id', '=', scheduleId)
        .where('fire_at', '=', fireAt)
        .execute();
    },
    async fires(scheduleId, page) {
      let query = db.selectFrom('schedule_fires').selectAll().where('schedule_id', '=', scheduleId);
      if (page.before !== null) query = query.where('fire_at', '<', page.before);
      const rows = await query.orderBy('fire_at', 'desc').limit(page.limit).execute();
      return rows.map((r): ScheduleFire => ({
        scheduleId: r.schedule_id,
        fireAt: r.fire_at,
        outcome: r.outcome as FireOutcome,
        executionId: r.execution_id,
        reason: r.reason,
        handledAt: r.handled_at,
      }));
    },
    async armed(limit) {
      return (
        await db
          .selectFrom('schedules')
          .selectAll()
          .where('timer_id', 'is not', null)
          .orderBy('cursor')
          .limit(limit)
          .execute()
      ).map((r) => toSchedule(r));
    },
    async waitingOn(executionId) {
      return (
        await db
          .selectFrom('schedules')
          .select('id')
          .where('last_execution_id', '=', executionId)
          .where('queued_fire_at', 'is not', null)
          .execute()
      ).map((r) => r.id);
    },
  };
}
