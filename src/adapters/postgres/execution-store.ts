import { sql } from 'kysely';
import { finishedStatuses, isFinishedStatus, type ExecutionEvent, type ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { ExecutionRecord, ExecutionStore } from '../../ports/executions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import { outboxJobsJson } from './job-outbox.ts';

type Row = { id: string; workspace_id: string; dashboard_id: string; recipe_id: string; state: unknown; created_by: string | null; created_at: Date; updated_at: Date };
const columns = ['id', 'workspace_id', 'dashboard_id', 'recipe_id', 'state', 'created_by', 'created_at', 'updated_at'] as const;
const toRecord = (r: Row): ExecutionRecord => ({ id: r.id, workspaceId: r.workspace_id, dashboardId: r.dashboard_id, recipeId: r.recipe_id, state: r.state as ExecutionState, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at });

/** Executions (state as jsonb) and their append-only history in Postgres. */
export function createExecutionStore(db: Database): ExecutionStore {
  return {
    async create(execution, tx) {
      await executor(db, tx)
        .insertInto('executions')
        .values({ id: execution.id, workspace_id: execution.workspaceId, dashboard_id: execution.dashboardId, recipe_id: execution.recipeId, status: execution.state.status, state: JSON.stringify(execution.state), created_by: execution.createdBy })
        .execute();
    },
    async lock(id, tx) {
      const row = await executor(db, tx).selectFrom('executions').select(columns).where('id', '=', id).forUpdate().executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async save({ id, expectedVersion, state, event, actor, jobs }, tx) {
      // One statement, so one round trip and atomic even outside a transaction: the hot path of the
      // engine. The version check makes it a compare-and-set; the inserts only happen if it matched.
      const finishedAt = isFinishedStatus(state.status) ? new Date(state.finishedAt ?? Date.now()) : null;
      const { rows } = await sql<{ n: number }>`
        with u as (
          update executions set state = ${JSON.stringify(state)}::jsonb, status = ${state.status}, updated_at = now(), finished_at = ${finishedAt}
          where id = ${id} and (state->>'version')::int = ${expectedVersion}
          returning id
        ), e as (
          insert into execution_events (execution_id, seq, type, event, actor_user_id)
          select id, ${state.version}, ${event.type}, ${JSON.stringify(event)}::jsonb, ${actor.kind === 'user' ? actor.userId : null}::uuid from u
        ), j as (
          insert into job_outbox (topic, data, start_after)
          select x.topic, x.data, x.start_after from u, jsonb_to_recordset(${outboxJobsJson(jobs)}::jsonb) as x(topic text, data jsonb, start_after timestamptz)
        )
        select count(*)::int as n from u`.execute(executor(db, tx));
      return (rows[0]?.n ?? 0) === 1;
    },
    async get(id) {
      const row = await db.selectFrom('executions').select(columns).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async listByDashboard(dashboardId, limit) {
      return (await db.selectFrom('executions').select(columns).where('dashboard_id', '=', dashboardId).orderBy('created_at', 'desc').limit(limit).execute()).map(toRecord);
    },
    async history(id, page) {
      const rows = await db.selectFrom('execution_events').select(['seq', 'event', 'created_at']).where('execution_id', '=', id).where('seq', '>', page.after).orderBy('seq').limit(page.limit).execute();
      return rows.map((r) => ({ seq: r.seq, event: r.event as ExecutionEvent, createdAt: r.created_at }));
    },
    async unfinished() {
      const rows = await db.selectFrom('executions').select(['id', 'dashboard_id', 'recipe_id']).where('status', 'not in', [...finishedStatuses]).execute();
      return rows.map((r) => ({ id: r.id, dashboardId: r.dashboard_id, recipeId: r.recipe_id }));
    },
  };
}
