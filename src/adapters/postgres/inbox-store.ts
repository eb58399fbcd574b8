import { sql } from 'kysely';
import type { DashboardRole, WorkspaceRole } from '../../domain/access/roles.ts';
import type { ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { InboxExecution, InboxScope, InboxStore } from '../../ports/inbox.ts';
import type { Database } from './database.ts';

interface Row {
  id: string;
  workspace_id: string;
  workspace_name: string;
  dashboard_id: string;
  dashboard_name: string;
  recipe_id: string;
  recipe_name: string;
  state: unknown;
  finished_at: Date | null;
  workspace_role: WorkspaceRole;
  dashboard_role: DashboardRole | null;
}

const toExecution = (r: Row): InboxExecution => ({
  executionId: r.id,
  workspace: { id: r.workspace_id, name: r.workspace_name },
  dashboard: { id: r.dashboard_id, name: r.dashboard_name },
  recipe: { id: r.recipe_id, name: r.recipe_name },
  state: r.state as ExecutionState,
  finishedAt: r.finished_at,
  workspaceRole: r.workspace_role,
  dashboardRole: r.dashboard_role,
});

const selected = sql`e.id, e.workspace_id, w.name as workspace_name, e.dashboard_id, d.name as dashboard_name,
  e.recipe_id, r.name as recipe_name, e.state, e.finished_at, wm.role as workspace_role, dm.role as dashboard_role`;
const onlyDashboard = (scope: InboxScope) =>
  scope.dashboardId === undefined ? sql`` : sql`and e.dashboard_id = ${scope.dashboardId}`;

/**
 * The inbox's reads in Postgres. Both start from the person's memberships (indexed by user), so
 * they read only their workspaces' or dashboards' executions, through the execution search indexes.
 */
export function createInboxStore(db: Database): InboxStore {
  return {
    async approvalCandidates(scope, limit) {
      // A waiting step that holds the prompt it asked is an approval asking people (wait steps hold
      // none); the use case still checks each step's kind against the recipe.
      const { rows } = await sql<Row>`
        select ${selected}
        from workspace_members wm
        join executions e on e.workspace_id = wm.workspace_id and e.status in ('running', 'waiting', 'paused')
        join dashboards d on d.id = e.dashboard_id and d.archived_at is null
        join workspaces w on w.id = e.workspace_id
        join recipes r on r.id = e.recipe_id
        left join dashboard_members dm on dm.dashboard_id = e.dashboard_id and dm.user_id = wm.user_id
        where wm.user_id = ${scope.userId} ${onlyDashboard(scope)}
          and (wm.role = 'admin' or dm.role in ('owner', 'editor'))
          and jsonb_path_exists(e.state, '$.steps.* ? (@.status == "waiting" && @.input.prompt.type() == "string")')
        order by e.updated_at desc, e.id desc
        limit ${limit}`.execute(db);
      return rows.map(toExecution);
    },
    async failedInOwnedDashboards(scope, limit, countUpTo) {
      const from = sql`
        from dashboard_members dm
        join dashboards d on d.id = dm.dashboard_id and d.archived_at is null
        join workspace_members wm on wm.workspace_id = d.workspace_id and wm.user_id = dm.user_id
        join executions e on e.dashboard_id = dm.dashboard_id and e.status = 'failed'
        join workspaces w on w.id = e.workspace_id
        join recipes r on r.id = e.recipe_id
        where dm.user_id = ${scope.userId} and dm.role = 'owner' ${onlyDashboard(scope)}`;
      const [items, counted] = await Promise.all([
        sql<Row>`select ${selected} ${from} order by e.finished_at desc nulls last, e.id desc limit ${limit}`.execute(
          db,
        ),
        // Counted up to a bound: a badge needs "many", not a scan of a dashboard's whole history.
        sql<{ total: string }>`select count(*) as total from (select 1 ${from} limit ${countUpTo}) bounded`.execute(db),
      ]);
      return { items: items.rows.map(toExecution), total: Number(counted.rows[0]?.total ?? 0) };
    },
  };
}
