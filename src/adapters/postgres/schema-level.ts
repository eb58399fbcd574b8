import { sql, type Kysely } from 'kysely';
import type { ReadinessProbe } from '../../ports/readiness.ts';

/**
 * The newest migration this build of Baton needs (test/unit/adapters/schema-level.test.ts keeps it
 * equal to the last file in migrations/). For runtimes that cannot read that directory: the Worker.
 */
export const latestMigration = '0028_device_authorizations';

/**
 * Readiness where migrations/ is out of reach (the Worker): the database has applied the newest
 * migration this build needs. A deployment ahead of its database says so on /readyz.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- reads kysely's own table, outside Baton's schema
export function schemaLevelProbe(db: Kysely<any>, latest = latestMigration): ReadinessProbe {
  return {
    name: 'migrations',
    async check() {
      // A database never migrated has no kysely_migration table (42P01); other failures are reported as they are.
      const applied = await sql<{ name: string }>`select name from kysely_migration where name = ${latest}`
        .execute(db)
        .catch((error: unknown) => {
          if ((error as { code?: unknown }).code === '42P01') return { rows: [] };
          throw error;
        });
      return applied.rows.length > 0
        ? { ok: true }
        : { ok: false, reason: `the database lacks migration ${latest}: run npm run migrate against it` };
    },
  };
}
