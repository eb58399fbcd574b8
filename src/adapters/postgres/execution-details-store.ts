import { sql } from 'kysely';
import type { ArtifactDetail, ArtifactEntry, ExecutionDetailsStore, RunEntry } from '../../ports/execution-details.ts';
import type { RunStatus } from '../../ports/sessions.ts';
import type { Database } from './database.ts';

/** Characters of an artifact's content its list entry shows. */
const previewLength = 200;

type ArtifactRow = {
  id: string;
  execution_id: string;
  step_id: string;
  run_key: string;
  artifact_id: string;
  kind: string;
  title: string;
  url: string | null;
  size: number;
  created_at: Date;
};
const toArtifact = (r: ArtifactRow) => ({
  id: r.id,
  executionId: r.execution_id,
  stepId: r.step_id,
  runKey: r.run_key,
  artifactId: r.artifact_id,
  kind: r.kind,
  title: r.title,
  url: r.url,
  size: Number(r.size),
  createdAt: r.created_at,
});

/** Artifacts, runs, cost and summaries of executions, read from Postgres. */
export function createExecutionDetailsStore(db: Database): ExecutionDetailsStore {
  const artifactColumns = [
    'a.id',
    'a.execution_id',
    'a.step_id',
    'a.run_key',
    'a.artifact_id',
    'a.kind',
    'a.title',
    'a.url',
    'a.created_at',
    sql<number>`coalesce(octet_length(a.content), 0)`.as('size'),
  ] as const;
  return {
    async artifacts(executionId, page) {
      let query = db
        .selectFrom('artifacts as a')
        .select([...artifactColumns, sql<string | null>`left(a.content, ${previewLength})`.as('preview')])
        .where('a.execution_id', '=', executionId);
      // Keyset: after the given artifact in (created_at, id) order, read from its own row (a time
      // in the cursor would lose Postgres' microseconds).
      if (page.after !== null)
        query = query.where(
          sql<boolean>`(a.created_at, a.id) > (select created_at, id from artifacts where id = ${page.after}::uuid
            and execution_id = ${executionId}::uuid)`,
        );
      const rows = await query.orderBy('a.created_at').orderBy('a.id').limit(page.limit).execute();
      return rows.map((r): ArtifactEntry => ({ ...toArtifact(r), preview: r.preview }));
    },
    async artifact(id) {
      const row = await db
        .selectFrom('artifacts as a')
        .select([...artifactColumns, 'a.content'])
        .where('a.id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : ({ ...toArtifact(row), content: row.content } satisfies ArtifactDetail);
    },
    async runs(executionId, page) {
      let query = db
        .selectFrom('sandbox_runs as r')
        .leftJoin('sessions as s', (join) => join.onRef('s.id', '=', 'r.session_id').onRef('s.epoch', '=', 'r.epoch'))
        .select([
          'r.run_key',
          'r.step_id',
          'r.attempt',
          'r.session_id',
          'r.epoch',
          's.sandbox_id',
          'r.status',
          'r.cost_usd',
          'r.max_cost_usd',
          'r.progress',
          'r.error',
          'r.created_at',
          'r.started_at',
          'r.finished_at',
          'r.updated_at',
        ])
        .where('r.execution_id', '=', executionId);
      if (page.after !== null)
        query = query.where(
          sql<boolean>`(r.created_at, r.run_key) > (select created_at, run_key from sandbox_runs
            where run_key = ${page.after} and execution_id = ${executionId}::uuid)`,
        );
      const rows = await query.orderBy('r.created_at').orderBy('r.run_key').limit(page.limit).execute();
      return rows.map((r): RunEntry => ({
        runKey: r.run_key,
        stepId: r.step_id,
        attempt: r.attempt,
        sessionId: r.session_id,
        epoch: r.epoch,
        sandboxId: r.sandbox_id ?? null,
        status: r.status as RunStatus,
        costUsd: Number(r.cost_usd),
        maxCostUsd: r.max_cost_usd === null ? null : Number(r.max_cost_usd),
        progress: r.progress ?? null,
        error: r.error,
        dispatchedAt: r.created_at,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        updatedAt: r.updated_at,
      }));
    },
    async outcome(executionId) {
      const row = await db
        .selectFrom('executions as e')
        .select([
          'e.summary',
          sql<number>`(select coalesce(sum(cost_usd), 0) from sandbox_runs where execution_id = e.id)`.as('cost'),
          sql<number>`(select count(*) from sandbox_runs where execution_id = e.id)`.as('runs'),
        ])
        .where('e.id', '=', executionId)
        .executeTakeFirst();
      return row === undefined
        ? undefined
        : { summary: row.summary, costUsd: Number(row.cost), runs: Number(row.runs) };
    },
  };
}
