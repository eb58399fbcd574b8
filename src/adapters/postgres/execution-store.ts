import type { ExecutionEvent, ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { ExecutionRecord, ExecutionStore } from '../../ports/executions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

type Row = { id: string; workspace_id: string; dashboard_id: string; recipe_id: string; state: unknown; created_by: string | null; created_at: Date; updated_at: Date };
const columns = ['id', 'workspace_id', 'dashboard_id', 'recipe_id', 'state', 'created_by', 'created_at', 'updated_at'] as const;
const toRecord = (r: Row): ExecutionRecord => ({ id: r.id, workspaceId: r.workspace_id, dashboardId: r.dashboard_id, recipeId: r.recipe_id, state: r.state as ExecutionState, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at });
const terminal = ['succeeded', 'failed', 'cancelled'];

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
    async save(id, state, event, actor, tx) {
      const q = executor(db, tx);
      await q
        .updateTable('executions')
        .set({ state: JSON.stringify(state), status: state.status, updated_at: new Date(), finished_at: terminal.includes(state.status) ? new Date(state.finishedAt ?? Date.now()) : null })
        .where('id', '=', id)
        .execute();
      await q
        .insertInto('execution_events')
        .values({ execution_id: id, seq: state.version, type: event.type, event: JSON.stringify(event), actor_user_id: actor.kind === 'user' ? actor.userId : null })
        .execute();
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
      return (await db.selectFrom('executions').select('id').where('status', 'not in', terminal).execute()).map((r) => r.id);
    },
  };
}
