import { sql } from 'kysely';
import type {
  ArtifactRecord,
  PlainCallbackRecord,
  RunStatus,
  SandboxRunRecord,
  SandboxRunStore,
} from '../../ports/sessions.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';
import { createWriteBatcher } from './write-batcher.ts';

type DispatchedRun = Parameters<SandboxRunStore['dispatched']>[0];
type BeatRecord = PlainCallbackRecord;

const runColumns = [
  'run_key',
  'session_id',
  'epoch',
  'execution_id',
  'step_id',
  'attempt',
  'status',
  'progress',
  'cost_usd',
  'max_cost_usd',
  'output',
  'error',
  'updated_at',
] as const;
type RunRow = {
  run_key: string;
  session_id: string;
  epoch: number;
  execution_id: string;
  step_id: string;
  attempt: number;
  status: string;
  progress: unknown;
  cost_usd: number;
  max_cost_usd: number | null;
  output: unknown;
  error: string | null;
  updated_at: Date;
};
const toRun = (r: RunRow): SandboxRunRecord => ({
  runKey: r.run_key,
  sessionId: r.session_id,
  epoch: r.epoch,
  executionId: r.execution_id,
  stepId: r.step_id,
  attempt: r.attempt,
  status: r.status as RunStatus,
  progress: r.progress,
  costUsd: Number(r.cost_usd),
  maxCostUsd: r.max_cost_usd === null ? null : Number(r.max_cost_usd),
  output: r.output,
  error: r.error,
  updatedAt: r.updated_at.getTime(),
});
const open: readonly RunStatus[] = ['dispatched', 'running'];
const json = (value: unknown) => JSON.stringify(value ?? null);
/** The end of a run as the batch statement's input columns. */
const endOf = (b: PlainCallbackRecord) =>
  b.endsRun === undefined
    ? {}
    : {
        ends_run: b.endsRun.runKey,
        end_status: b.endsRun.status,
        end_output: b.endsRun.output ?? null,
        end_error: b.endsRun.error,
        end_cost: b.endsRun.costUsd,
      };

/** Runs dispatched to sandboxes, the callbacks received about them, and their artifacts. */
export function createSandboxRunStore(db: Database): SandboxRunStore {
  // Dispatches and plain callbacks (heartbeats, run.started) of many executions arrive together under
  // load: each kind is written in batches, one statement per batch (see createWriteBatcher).
  const dispatchBatch = createWriteBatcher<DispatchedRun, SandboxRunRecord>(async (runs) => {
    const input = JSON.stringify(
      runs.map((r) => ({
        run_key: r.runKey,
        session_id: r.sessionId,
        epoch: r.epoch,
        execution_id: r.executionId,
        step_id: r.stepId,
        attempt: r.attempt,
        max_cost_usd: r.maxCostUsd,
      })),
    );
    // A known key keeps its row, which is returned as it is (the union's second half).
    const { rows } = await sql<RunRow>`
      with input as (
        select * from jsonb_to_recordset(${input}::jsonb) as x(run_key text, session_id uuid, epoch int, execution_id
        uuid, step_id text, attempt int, max_cost_usd float8)
      ), ins as (
        insert into sandbox_runs (run_key, session_id, epoch, execution_id, step_id, attempt, status, max_cost_usd)
        select distinct on (run_key) run_key, session_id, epoch, execution_id, step_id, attempt, 'dispatched',
        max_cost_usd from input
        on conflict (run_key) do nothing
        returning ${sql.join(runColumns.map((c) => sql.ref(c)))}
      )
      select * from ins
      union all
      select ${sql.join(runColumns.map((c) => sql.ref(`sandbox_runs.${c}`)))} from sandbox_runs
      where run_key in (select run_key from input) and run_key not in (select run_key from ins)`.execute(db);
    const byKey = new Map(rows.map((r) => [r.run_key, toRun(r)]));
    return runs.map((r) => {
      const row = byKey.get(r.runKey);
      if (row === undefined) throw new Error(`the dispatch of ${r.runKey} was not recorded`);
      return row;
    });
  });
  const beatBatch = createWriteBatcher<BeatRecord, boolean>(async (beats) => {
    // A repeated event id in one batch is a duplicate like any other: only its first copy counts.
    const seen = new Set<string>();
    const firstCopy = beats.map((b) => !seen.has(b.event.id) && seen.add(b.event.id) !== undefined);
    const input = JSON.stringify(
      beats
        .filter((_, i) => firstCopy[i])
        .map((b) => ({
          id: b.event.id,
          session_id: b.event.sessionId,
          epoch: b.event.epoch,
          type: b.event.type,
          run_key: b.event.runKey,
          data: b.event.data ?? null,
          seq: b.event.seq ?? null,
          lease_until: b.leaseUntil,
          active_at: b.activeAt,
          starts_run: b.startsRun ?? null,
          ...endOf(b),
        })),
    );
    const { rows } = await sql<{ id: string }>`
      with input as (
        select * from jsonb_to_recordset(${input}::jsonb) as x(id text, session_id uuid, epoch int, type text, run_key
        text, data jsonb, seq int, lease_until timestamptz, active_at timestamptz, starts_run text, ends_run text,
        end_status text, end_output jsonb, end_error text, end_cost float8)
      ), ev as (
        insert into sandbox_events (id, session_id, epoch, type, run_key, data, seq)
        select id, session_id, epoch, type, run_key, coalesce(data, 'null'::jsonb), seq from input
        on conflict (id) do nothing returning id
      ), fresh as (
        select input.* from input join ev using (id)
      ), s as (
        update sessions set lease_expires_at = greatest(sessions.lease_expires_at, f.lease_until), last_active_at =
        coalesce(f.active_at, sessions.last_active_at),
          status = case when f.active_at is not null and sessions.status = 'idle' then 'ready' else sessions.status end
        from (select distinct on (session_id) * from fresh order by session_id, lease_until desc) f
        where sessions.id = f.session_id and sessions.epoch = f.epoch and sessions.status in ('ready', 'idle')
      ), r as (
        update sandbox_runs set status = 'running', started_at = now(), updated_at = now()
        from fresh f
        where f.starts_run is not null and sandbox_runs.run_key = f.starts_run
        and sandbox_runs.session_id = f.session_id and sandbox_runs.epoch = f.epoch
        and sandbox_runs.status = 'dispatched'
          -- A run that also ends in this batch is only ended (two updates of one row in a statement would race).
          and not exists (select 1 from fresh e where e.ends_run = f.starts_run)
      ), e as (
        update sandbox_runs set status = f.end_status, finished_at = now(), updated_at = now(), output =
        coalesce(f.end_output, sandbox_runs.output),
          error = coalesce(f.end_error, sandbox_runs.error), cost_usd = greatest(sandbox_runs.cost_usd, f.end_cost)
        from (select distinct on (ends_run) * from fresh where ends_run is not null order by ends_run) f
        where sandbox_runs.run_key = f.ends_run and sandbox_runs.session_id = f.session_id
        and sandbox_runs.epoch = f.epoch and sandbox_runs.status in ('dispatched', 'running')
      )
      select id from ev`.execute(db);
    const inserted = new Set(rows.map((r) => r.id));
    return beats.map((b, i) => (firstCopy[i] ?? false) && inserted.has(b.event.id));
  });
  return {
    dispatched: (run) => dispatchBatch(run),
    async get(runKey, tx) {
      const row = await executor(db, tx)
        .selectFrom('sandbox_runs')
        .select(runColumns)
        .where('run_key', '=', runKey)
        .executeTakeFirst();
      return row === undefined ? undefined : toRun(row);
    },
    async inFlight(sessionId) {
      return (
        await db
          .selectFrom('sandbox_runs')
          .select(runColumns)
          .where('session_id', '=', sessionId)
          .where('status', 'in', [...open])
          .execute()
      ).map(toRun);
    },
    async stale(before) {
      return (
        await db
          .selectFrom('sandbox_runs')
          .select(runColumns)
          .where('status', 'in', [...open])
          .where('updated_at', '<', before)
          .limit(500)
          .execute()
      ).map(toRun);
    },
    async update(runKey, patch, tx) {
      const now = new Date();
      const result = await executor(db, tx)
        .updateTable('sandbox_runs')
        .set({
          updated_at: now,
          ...(patch.status === undefined
            ? {}
            : { status: patch.status, ...(open.includes(patch.status) ? { started_at: now } : { finished_at: now }) }),
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
    recordPlain: (callback) => beatBatch(callback),
    async recordCallback({ event, leaseUntil, activeAt, run, artifact }) {
      const p = run?.patch ?? {};
      const status = p.status ?? null;
      const { rows } = await sql<RunRow & { fresh: number }>`
        with ev as (
          insert into sandbox_events (id, session_id, epoch, type, run_key, data, seq)
          values (${event.id}, ${event.sessionId}, ${event.epoch}, ${event.type}, ${event.runKey},
          ${json(event.data)}::jsonb, ${event.seq ?? null}::int)
          on conflict (id) do nothing returning id
        ), s as (
          update sessions set lease_expires_at = greatest(lease_expires_at, ${leaseUntil}::timestamptz), last_active_at
          = coalesce(${activeAt}::timestamptz, last_active_at),
            status = case when ${activeAt}::timestamptz is not null and status = 'idle' then 'ready' else status end
          where id = ${event.sessionId} and epoch = ${event.epoch} and status in ('ready', 'idle') and exists (select 1
          from ev)
        ), r as (
          update sandbox_runs set
            status = coalesce(${status}::text, status),
            started_at = case when ${status}::text = 'running' then now() else started_at end,
            finished_at = case when ${status}::text in ('succeeded', 'failed', 'cancelled', 'lost') then now()
            else finished_at end,
            progress = coalesce(${p.progress === undefined ? null : json(p.progress)}::jsonb, progress),
            cost_usd = greatest(cost_usd, coalesce(${p.costUsd ?? null}::float8, 0)),
            output = coalesce(${p.output === undefined ? null : json(p.output)}::jsonb, output),
            error = coalesce(${p.error ?? null}::text, error),
            updated_at = now()
          where run_key = ${run?.runKey ?? null} and session_id = ${event.sessionId} and epoch = ${event.epoch}
          and status in ('dispatched', 'running') and exists (select 1 from ev)
          returning ${sql.join(runColumns.map((c) => sql.ref(c)))}
        ), a as (
          insert into artifacts (run_key, artifact_id, execution_id, step_id, kind, title, url, content)
          select r.run_key, ${artifact?.artifactId ?? ''}, r.execution_id, r.step_id, ${artifact?.kind ?? ''},
          ${artifact?.title ?? ''}, ${artifact?.url ?? null}, ${artifact?.content ?? null}
          from r where ${artifact !== undefined}
          on conflict (run_key, artifact_id) do update set kind = excluded.kind, title = excluded.title, url =
          excluded.url, content = excluded.content
        )
        select (select count(*) from ev)::int as fresh, r.* from (select 1) as one left join r on true`.execute(db);
      const row = rows[0];
      return {
        fresh: (row?.fresh ?? 0) > 0,
        run: row?.run_key === null || row?.run_key === undefined ? undefined : toRun(row),
      };
    },
    async eventCursor(runKey) {
      // The longest unbroken run of sequence numbers from 1: a gap (an event stored before an earlier
      // one whose write failed) is asked for again.
      const { rows } = await sql<{ cursor: number }>`
        select coalesce(max(seq), 0)::int as cursor from (
          select seq, row_number() over (order by seq) as n from (select distinct seq from sandbox_events
          where run_key = ${runKey} and seq is not null) s
        ) numbered where seq = n`.execute(db);
      return rows[0]?.cursor ?? 0;
    },
    async artifacts(executionId) {
      const rows = await db
        .selectFrom('artifacts')
        .selectAll()
        .where('execution_id', '=', executionId)
        .orderBy('created_at')
        .limit(500)
        .execute();
      return rows.map((r): ArtifactRecord => ({
        runKey: r.run_key,
        artifactId: r.artifact_id,
        executionId: r.execution_id,
        stepId: r.step_id,
        kind: r.kind,
        title: r.title,
        url: r.url,
        content: r.content,
        createdAt: r.created_at.getTime(),
      }));
    },
  };
}
