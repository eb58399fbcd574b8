import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../ports/logger.ts';
import type { ReadinessProbe } from '../../ports/readiness.ts';
import type { DatabaseSchema } from './schema.ts';

// Postgres `bigint` (int8) as JS numbers where they fit: ids and counters here stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** The kysely handle and the pool under it. */
export type Database = Kysely<DatabaseSchema>;

/** Opens a pooled kysely connection. Pool errors (a server restart) are logged, not thrown. */
export function createDatabase(options: { url: string; poolMax: number; logger: Logger; applicationName?: string }): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    application_name: options.applicationName ?? 'baton',
    connectionTimeoutMillis: 5000,
  });
  pool.on('error', (error) => {
    // Closing the pool closes its sockets: in workerd (cloudflare:sockets) each reader then fails
    // with "Stream was cancelled", which is the close itself, not a failure worth a warning.
    if ((pool as { ending?: boolean }).ending === true) return;
    options.logger.warn({ err: error }, 'idle Postgres connection failed');
  });
  return new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool }) });
}

/** Readiness: the database answers a query. */
export function databaseProbe(db: Database): ReadinessProbe {
  return {
    name: 'database',
    async check() {
      await sql`select 1`.execute(db);
      return { ok: true };
    },
  };
}

/** Checks once that a database URL answers, with a short timeout and a message fit for a human. */
export async function assertReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    throw new Error(`Cannot reach the database at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
