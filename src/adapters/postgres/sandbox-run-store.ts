import { sql } from 'kysely';
import type { ArtifactRecord, RunStatus, SandboxRunRecord, SandboxRunStore } from '../../ports/sessions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

const runColumns = ['run_key', 'session_id', 'epoch', 'execution_id', 'step_id', 'attempt', 'status', 'progress', 'cost_usd', 'max_cost_usd', 'output', 'error', 'updated_at'] as const;
type RunRow = { run_key: string; session_id: string; epoch: number; execution_id: string; step_id: string; attempt: number; status: string; progress: unknown; cost_usd: number; max_cost_usd: number | null; output: unknown; error: string | null; updated_at: Date };
const toRun = (r: RunRow): SandboxRunRecord => ({ runKey: r.run_key, sessionId: r.session_id, epoch: r.epoch, executionId: r.execution_id, stepId: r.step_id, attempt: r.attempt, status: r.status as RunStatus, progress: r.progress, costUsd: Number(r.cost_usd), maxCostUsd: r.max_cost_usd === null ? null : Number(r.max_cost_usd), output: r.output, error: r.error, updatedAt: r.updated_at.getTime() });
const open: readonly RunStatus[] = ['dispatched', 'running'];
const json = (value: unknown) => JSON.stringify(value ?? null);

/** Runs dispatched to sandboxes, the callbacks received about them, and their artifacts. */
export function createSandboxRunStore(db: Database): SandboxRunStore {
  return {
    async dispatched(run) {
      const inserted = await db
        .insertInto('sandbox_runs')
        .values({ run_key: run.runKey, session_id: run.sessionId, epoch: run.epoch, execution_id: run.executionId, step_id: run.stepId, attempt: run.attempt, status: 'dispatched', max_cost_usd: run.maxCostUsd })
        .onConflict((oc) => oc.column('run_key').doNothing())
        .returning(runColumns)
        .executeTakeFirst();
      // Known already: the row as it is.
      return toRun(inserted ?? (await db.selectFrom('sandbox_runs').select(runColumns).where('run_key', '=', run.runKey).executeTakeFirstOrThrow()));
    },
    async get(runKey, tx) {
      const row = await executor(db, tx).selectFrom('sandbox_runs').select(runColumns).where('run_key', '=', runKey).executeTakeFirst();
      return row === undefined ? undefined : toRun(row);
    },
    async inFlight(sessionId) {
      return (await db.selectFrom('sandbox_runs').select(runColumns).where('session_id', '=', sessionId).where('status', 'in', [...open]).execute()).map(toRun);
    },
    async stale(before) {
      return (await db.selectFrom('sandbox_runs').select(runColumns).where('status', 'in', [...open]).where('updated_at', '<', before).limit(500).execute()).map(toRun);
    },
    async update(runKey, patch, tx) {
      const now = new Date();
      const result = await executor(db, tx)
        .updateTable('sandbox_runs')
        .set({
          updated_at: now,
          ...(patch.status === undefined ? {} : { status: patch.status, ...(open.includes(patch.status) ? { started_at: now } : { finished_at: now }) }),
          ...(patch.progress === undefined ? {} : { progress: json(patch.progress) }),
          ...(patch.costUsd === undefined ? {} : { cost_usd: patch.costUsd }),
          ...(patch.output === undefined ? {} : { output: json(patch.output) }),
          ...(patch.error === undefined ? {} : { error: patch.error }),
        })
        .where('run_key', '=', runKey)
        .where('status', 'in', [...open])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async recordCallback({ event, leaseUntil, activeAt, run, artifact }) {
      const p = run?.patch ?? {};
      const status = p.status ?? null;
      const { rows } = await sql<RunRow & { fresh: number }>`
        with ev as (
          insert into sandbox_events (id, session_id, epoch, type, run_key, data)
          values (${event.id}, ${event.sessionId}, ${event.epoch}, ${event.type}, ${event.runKey}, ${json(event.data)}::jsonb)
          on conflict (id) do nothing returning id
        ), s as (
          update sessions set lease_expires_at = ${leaseUntil}, last_active_at = coalesce(${activeAt}::timestamptz, last_active_at),
            status = case when ${activeAt}::timestamptz is not null and status = 'idle' then 'ready' else status end
          where id = ${event.sessionId} and epoch = ${event.epoch} and status in ('ready', 'idle') and exists (select 1 from ev)
        ), r as (
          update sandbox_runs set
            status = coalesce(${status}::text, status),
            started_at = case when ${status}::text = 'running' then now() else started_at end,
            finished_at = case when ${status}::text in ('succeeded', 'failed', 'cancelled', 'lost') then now() else finished_at end,
            progress = coalesce(${p.progress === undefined ? null : json(p.progress)}::jsonb, progress),
            cost_usd = greatest(cost_usd, coalesce(${p.costUsd ?? null}::float8, 0)),
            output = coalesce(${p.output === undefined ? null : json(p.output)}::jsonb, output),
            error = coalesce(${p.error ?? null}::text, error),
            updated_at = now()
          where run_key = ${run?.runKey ?? null} and session_id = ${event.sessionId} and epoch = ${event.epoch} and status in ('dispatched', 'running') and exists (select 1 from ev)
          returning ${sql.join(runColumns.map((c) => sql.ref(c)))}
        ), a as (
          insert into artifacts (run_key, artifact_id, execution_id, step_id, kind, title, url, content)
          select r.run_key, ${artifact?.artifactId ?? ''}, r.execution_id, r.step_id, ${artifact?.kind ?? ''}, ${artifact?.title ?? ''}, ${artifact?.url ?? null}, ${artifact?.content ?? null}
          from r where ${artifact !== undefined}
          on conflict (run_key, artifact_id) do update set kind = excluded.kind, title = excluded.title, url = excluded.url, content = excluded.content
        )
        select (select count(*) from ev)::int as fresh, r.* from (select 1) as one left join r on true`.execute(db);
      const row = rows[0];
      return { fresh: (row?.fresh ?? 0) > 0, run: row?.run_key === null || row?.run_key === undefined ? undefined : toRun(row) };
    },
    async artifacts(executionId) {
      const rows = await db.selectFrom('artifacts').selectAll().where('execution_id', '=', executionId).orderBy('created_at').limit(500).execute();
      return rows.map((r): ArtifactRecord => ({ runKey: r.run_key, artifactId: r.artifact_id, executionId: r.execution_id, stepId: r.step_id, kind: r.kind, title: r.title, url: r.url, content: r.content, createdAt: r.created_at.getTime() }));
    },
  };
}
