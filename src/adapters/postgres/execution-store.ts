import { sql } from 'kysely';
import {
  finishedStatuses,
  isFinishedStatus,
  type ExecutionEvent,
  type ExecutionState,
} from '../../domain/orchestrator/execution.ts';
import type { ExecutionChange, ExecutionRecord, ExecutionStore } from '../../ports/executions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import { outboxJobsJson, outboxRows } from './job-outbox.ts';
import { createWriteBatcher } from './write-batcher.ts';

type Row = {
  id: string;
  workspace_id: string;
  dashboard_id: string;
  recipe_id: string;
  state: unknown;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
};
const columns = [
  'id',
  'workspace_id',
  'dashboard_id',
  'recipe_id',
  'state',
  'created_by',
  'created_at',
  'updated_at',
] as const;
const toRecord = (r: Row): ExecutionRecord => ({
  id: r.id,
  workspaceId: r.workspace_id,
  dashboardId: r.dashboard_id,
  recipeId: r.recipe_id,
  state: r.state as ExecutionState,
  createdBy: r.created_by,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/**
 * The compare-and-set writes of many executions as one statement: each input row updates its
 * execution only at the expected version, and only the rows that matched insert their history entry
 * and jobs. Returns the positions (`i`) that matched. Two changes of one execution in a batch cannot
 * both match (the second sees a version that is no longer there), so the loser retries as usual.
 */
async function saveMany(db: Database, changes: readonly ExecutionChange[]): Promise<boolean[]> {
  const input = changes.map((c, i) => ({
    i,
    id: c.id,
    expected: c.expectedVersion,
    state: c.state,
    status: c.state.status,
    finished_at: isFinishedStatus(c.state.status) ? new Date(c.state.finishedAt ?? Date.now()).toISOString() : null,
    seq: c.state.version,
    type: c.event.type,
    event: c.event,
    actor: c.actor.kind === 'user' ? c.actor.userId : null,
    jobs: outboxRows(c.jobs),
    withdraw: c.withdraw ?? [],
    set_summary: c.summary !== undefined,
    summary: c.summary ?? null,
  }));
  const { rows } = await sql<{ i: number }>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
        as x(i int, id uuid, expected int, state jsonb, status text, finished_at timestamptz, seq int, type text, event
        jsonb, actor uuid, jobs jsonb, withdraw jsonb, set_summary boolean, summary text)
    ), u as (
      update executions e set state = input.state, status = input.status, updated_at = now(), finished_at =
      input.finished_at,
        summary = case when input.set_summary then input.summary else e.summary end
      from input where e.id = input.id and (e.state->>'version')::int = input.expected
      returning input.i
    ), e as (
      insert into execution_events (execution_id, seq, type, event, actor_user_id)
      select input.id, input.seq, input.type, input.event, input.actor from input join u on u.i = input.i
    ), j as (
      insert into job_outbox (topic, data, start_after, cancel_key)
      select x.topic, x.data, x.start_after, x.cancel_key
      from input join u on u.i = input.i, jsonb_to_recordset(input.jobs) as x(topic text, data jsonb, start_after
      timestamptz, cancel_key text)
      order by input.i
    ), w as (
      -- One snapshot for the whole statement: the jobs inserted above are never among those withdrawn.
      delete from job_outbox o using (select jsonb_array_elements_text(input.withdraw) as key from input join u
      on u.i = input.i) k
      where o.cancel_key = k.key
    )
    select i from u`.execute(db);
  const matched = new Set(rows.map((r) => r.i));
  return changes.map((_, i) => matched.has(i));
}

/** Executions (state as jsonb) and their append-only history in Postgres. */
export function createExecutionStore(db: Database): ExecutionStore {
  // Changes made outside a caller's transaction (the engine's hot path) are group-committed: under
  // load many executions advance in one statement; alone, a change goes out at once.
  const batched = createWriteBatcher((changes: readonly ExecutionChange[]) => saveMany(db, changes), 200);
  return {
    async create(execution, tx) {
      await executor(db, tx)
        .insertInto('executions')
        .values({
          id: execution.id,
          workspace_id: execution.workspaceId,
          dashboard_id: execution.dashboardId,
          recipe_id: execution.recipeId,
          status: execution.state.status,
          state: JSON.stringify(execution.state),
          created_by: execution.createdBy,
          origin: execution.origin?.kind ?? 'person',
          origin_id: execution.origin !== undefined && execution.origin.kind !== 'person' ? execution.origin.id : null,
          parent_key: execution.parentKey ?? null,
        })
        .execute();
    },
    async lock(id, tx) {
      const row = await executor(db, tx)
        .selectFrom('executions')
        .select(columns)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async save(change, tx) {
      if (tx === undefined) return batched(change);
      const { id, expectedVersion, state, event, actor, jobs, withdraw = [], summary } = change;
      // Inside a caller's transaction (interventions, schedules, triggers): one statement. The version
      // check makes it a compare-and-set; the inserts only happen if it matched.
      const finishedAt = isFinishedStatus(state.status) ? new Date(state.finishedAt ?? Date.now()) : null;
      const { rows } = await sql<{ n: number }>`
        with u as (
          update executions set state = ${JSON.stringify(state)}::jsonb, status = ${state.status}, updated_at = now(),
          finished_at = ${finishedAt},
            summary = case when ${summary !== undefined}::boolean then ${summary ?? null}::text else summary end
          where id = ${id} and (state->>'version')::int = ${expectedVersion}
          returning id
        ), e as (
          insert into execution_events (execution_id, seq, type, event, actor_user_id)
          select id, ${state.version}, ${event.type}, ${JSON.stringify(event)}::jsonb,
          ${actor.kind === 'user' ? actor.userId : null}::uuid from u
        ), j as (
          insert into job_outbox (topic, data, start_after, cancel_key)
          select x.topic, x.data, x.start_after, x.cancel_key
          from u, jsonb_to_recordset(${outboxJobsJson(jobs)}::jsonb) as x(topic text, data jsonb, start_after
          timestamptz, cancel_key text)
        ), w as (
          delete from job_outbox where cancel_key = any(${[...withdraw]}::text[]) and exists (select 1 from u)
        )
        select count(*)::int as n from u`.execute(executor(db, tx));
      return (rows[0]?.n ?? 0) === 1;
    },
    async childByKey(parentKey, tx) {
      const row = await executor(db, tx)
        .selectFrom('executions')
        .select(columns)
        .where('parent_key', '=', parentKey)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async get(id) {
      const row = await db.selectFrom('executions').select(columns).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toRecord(row);
    },
    async listByDashboard(dashboardId, limit) {
      return (
        await db
          .selectFrom('executions')
          .select(columns)
          .where('dashboard_id', '=', dashboardId)
          .orderBy('created_at', 'desc')
          .limit(limit)
          .execute()
      ).map(toRecord);
    },
    async history(id, page) {
      const rows = await db
        .selectFrom('execution_events')
        .select(['seq', 'event', 'created_at'])
        .where('execution_id', '=', id)
        .where('seq', '>', page.after)
        .orderBy('seq')
        .limit(page.limit)
        .execute();
      return rows.map((r) => ({ seq: r.seq, event: r.event as ExecutionEvent, createdAt: r.created_at }));
    },
    async unfinished() {
      const rows = await db
        .selectFrom('executions')
        .select(['id', 'dashboard_id', 'recipe_id'])
        .where('status', 'not in', [...finishedStatuses])
        .execute();
      return rows.map((r) => ({ id: r.id, dashboardId: r.dashboard_id, recipeId: r.recipe_id }));
    },
  };
}
