import { sql } from 'kysely';
import { liveStatuses } from '../../domain/sessions/session.ts';
import type { MetricReadings } from '../../ports/metrics.ts';
import type { Database } from './database.ts';

/**
 * The values metrics read from Baton's own tables on each scrape: the outbox's lag and the live
 * sessions by status. Both stay on small, indexed sets (due outbox rows, live sessions), so a
 * scrape costs two short statements however much history the database holds.
 */
export function createMetricReadings(db: Database): Pick<MetricReadings, 'outboxLagSeconds' | 'liveSessionsByStatus'> {
  return {
    async outboxLagSeconds() {
      // Due rows only: a delayed job waits in the outbox by design until it is almost due.
      const { rows } = await sql<{ lag: number | null }>`
        select extract(epoch from now() - min(coalesce(start_after, created_at)))::float8 as lag
        from job_outbox where start_after is null or start_after <= now()`.execute(db);
      return Math.max(0, rows[0]?.lag ?? 0);
    },
    async liveSessionsByStatus() {
      const rows = await db
        .selectFrom('sessions')
        .select(['status', (eb) => eb.fn.countAll<string>().as('count')])
        .where('status', 'in', [...liveStatuses])
        .groupBy('status')
        .execute();
      // Every live status is named, with 0 when none has it: a dashboard sees the drop to zero.
      const counts: Record<string, number> = Object.fromEntries(liveStatuses.map((status) => [status, 0]));
      for (const row of rows) counts[row.status] = Number(row.count);
      return counts;
    },
  };
}
