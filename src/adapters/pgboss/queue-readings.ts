import { sql } from 'kysely';
import type { JobQueueReading } from '../../ports/metrics.ts';
import type { Database } from '../postgres/database.ts';

/**
 * Reads every pg-boss queue's ready and active jobs and how long its oldest ready job has been due,
 * in one grouped statement on pg-boss's own tables (for metrics, once per scrape; pg-boss's internal
 * queues are left out). Only live jobs are touched, through pg-boss's partial index on (name, state,
 * blocked, start_after); finished jobs, however many are retained, cost nothing.
 */
export async function readJobQueues(db: Database, schema = 'pgboss'): Promise<JobQueueReading[]> {
  const queue = sql.table(`${schema}.queue`);
  const job = sql.table(`${schema}.job`);
  const ready = sql`j.state in ('created', 'retry') and not j.blocked and j.start_after <= now()`;
  const { rows } = await sql<{ queue: string; ready: number; active: number; oldest: number }>`
    select q.name as queue,
      (count(*) filter (where ${ready}))::int as ready,
      (count(*) filter (where j.state = 'active'))::int as active,
      coalesce(extract(epoch from now() - min(j.start_after) filter (where ${ready})), 0)::float8 as oldest
    from ${queue} q left join ${job} j on j.name = q.name and j.state in ('created', 'retry', 'active')
    where q.name not like '\_\_pgboss\_\_%'
    group by q.name order by q.name`.execute(db);
  return rows.map((row) => ({
    queue: row.queue,
    ready: row.ready,
    active: row.active,
    oldestReadySeconds: Math.max(0, row.oldest),
  }));
}
