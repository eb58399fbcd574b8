import { sql } from 'kysely';
import type { RateLimitCounter } from '../../ports/rate-limits.ts';
import type { Database } from './database.ts';

/**
 * Rate-limit counts in Postgres (`rate_limit_counts`, migration 0018), for deployments without
 * Redis. A request is one statement: an upsert on the budget's row that counts it, or starts the
 * window again when the last one has ended. Postgres's clock decides windows, so instances whose
 * clocks differ still agree. Rows idle for a whole window are deleted at most once a window per
 * instance, after a request and off its path.
 */
export function createPostgresRateLimitCounter(db: Database): RateLimitCounter {
  let prunedAt = 0;
  let closed = false;
  const prune = (windowMs: number) => {
    if (Date.now() - prunedAt < windowMs) return;
    prunedAt = Date.now();
    // Best effort: a row left behind is only a few bytes, and the next prune takes it.
    sql`delete from rate_limit_counts where window_start < now() - ${`${windowMs} milliseconds`}::interval`
      .execute(db)
      .catch(() => undefined);
  };
  return {
    async hit(key, windowMs) {
      if (closed) throw new Error('the rate-limit counter is closed');
      const window = `${windowMs} milliseconds`;
      // In SET, `c` is the row before this request: both columns decide on the same old window.
      const { rows } = await sql<{ count: number; reset_in_ms: number }>`
        insert into rate_limit_counts as c (bucket, window_start, count) values (${key}, now(), 1)
        on conflict (bucket) do update set
          count = case when c.window_start > now() - ${window}::interval then c.count + 1 else 1 end,
          window_start = case when c.window_start > now() - ${window}::interval then c.window_start else now() end
        returning count, ceil(extract(epoch from window_start + ${window}::interval - now()) * 1000)::integer as
        reset_in_ms`.execute(db);
      const row = rows[0];
      if (row === undefined) throw new Error('the rate-limit upsert returned no row');
      prune(windowMs);
      return { count: row.count, resetInMs: Math.max(0, row.reset_in_ms) };
    },
    async close() {
      closed = true;
    },
  };
}
