import { sql, type RawBuilder } from 'kysely';
import type { ExecutionState } from '../../domain/orchestrator/execution.ts';
import type {
  ExecutionOriginKind,
  ExecutionSearch,
  ExecutionSearchFilter,
  SearchPosition,
} from '../../ports/execution-search.ts';
import type { Database } from './database.ts';

type Row = {
  id: string;
  workspace_id: string;
  dashboard_id: string;
  recipe_id: string;
  state: unknown;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
  origin: string;
  origin_id: string | null;
  micros: string;
};

/**
 * The search as one statement. Every filter is a plain comparison on a column of `executions`, and
 * the order is (created_at, id) descending with the cursor as a row comparison, so Postgres can walk
 * the narrowest index ending in (created_at, id) backwards and stop after `limit` rows. A set of
 * dashboards (a member's, who sees some of the workspace) is searched one dashboard at a time
 * (a lateral join, `limit` rows each through the dashboard index) and the pages merged: filtering
 * the workspace's rows by membership would read every match of the other dashboards first.
 */
function searchQuery(
  filter: ExecutionSearchFilter,
  page: { limit: number; after?: SearchPosition },
  select: RawBuilder<unknown>,
): RawBuilder<unknown> {
  const conditions: RawBuilder<unknown>[] = [sql`workspace_id = ${filter.workspaceId}::uuid`];
  if (filter.statuses !== undefined)
    conditions.push(
      filter.statuses.length === 1
        ? sql`status = ${filter.statuses[0]}`
        : sql`status = any(${[...filter.statuses]}::text[])`,
    );
  if (filter.recipeId !== undefined) conditions.push(sql`recipe_id = ${filter.recipeId}::uuid`);
  if (filter.origin !== undefined) conditions.push(sql`origin = ${filter.origin}`);
  if (filter.originId !== undefined) conditions.push(sql`origin_id = ${filter.originId}::uuid`);
  if (filter.createdBy !== undefined) conditions.push(sql`created_by = ${filter.createdBy}::uuid`);
  if (filter.createdAfter !== undefined) conditions.push(sql`created_at >= ${filter.createdAfter}`);
  if (filter.createdBefore !== undefined) conditions.push(sql`created_at < ${filter.createdBefore}`);
  if (page.after !== undefined) {
    const at = sql`(timestamptz 'epoch' + ${page.after.createdAtMicros.toString()}::bigint * interval '1 microsecond')`;
    conditions.push(sql`(created_at, id) < (${at}, ${page.after.id}::uuid)`);
  }
  const order = sql`order by created_at desc, id desc limit ${page.limit}`;
  const one = filter.dashboardIds?.length === 1 && filter.visibleTo === undefined ? filter.dashboardIds[0] : undefined;
  if (one !== undefined) conditions.push(sql`dashboard_id = ${one}::uuid`);
  const boards: RawBuilder<unknown>[] = [];
  if (one === undefined && filter.dashboardIds !== undefined)
    boards.push(sql`select unnest(${[...filter.dashboardIds]}::uuid[]) as board`);
  if (filter.visibleTo !== undefined)
    boards.push(
      sql`select m.dashboard_id as board from dashboard_members m where m.user_id = ${filter.visibleTo}::uuid`,
    );
  const where = sql.join(conditions, sql` and `);
  if (boards.length === 0) return sql`${select} from executions where ${where} ${order}`;
  // Both given: the dashboards in both sets.
  const set = sql.join(boards, sql` intersect `);
  return sql`${select} from (${set}) d cross join lateral (select * from executions where dashboard_id = d.board
    and ${where} ${order}) e ${order}`;
}

const columns = sql`select id, workspace_id, dashboard_id, recipe_id, state, created_by, created_at, updated_at, origin,
  origin_id, (extract(epoch from created_at) * 1000000)::bigint::text as micros`;

/** Execution search in Postgres (indexes: migrations/0021_execution_search.sql). */
export function createExecutionSearchStore(db: Database): ExecutionSearch {
  return {
    async search(filter, page) {
      const { rows } = await (searchQuery(filter, page, columns) as RawBuilder<Row>).execute(db);
      return rows.map((r) => ({
        record: {
          id: r.id,
          workspaceId: r.workspace_id,
          dashboardId: r.dashboard_id,
          recipeId: r.recipe_id,
          state: r.state as ExecutionState,
          createdBy: r.created_by,
          createdAt: r.created_at,
          updatedAt: r.updated_at,
        },
        origin: r.origin as ExecutionOriginKind,
        originId: r.origin_id,
        position: { createdAtMicros: BigInt(r.micros), id: r.id },
      }));
    },
    async explain(filter, page) {
      const { rows } = await sql<{
        'QUERY PLAN': string;
      }>`explain (analyze, buffers, costs off) ${searchQuery(filter, page, columns)}`.execute(db);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    },
  };
}
