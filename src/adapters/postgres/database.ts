import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../ports/logger.ts';
import type { ReadinessProbe } from '../../ports/readiness.ts';
import { UnavailableError } from '../../ports/unavailable.ts';
import type { DatabaseSchema } from './schema.ts';

// Postgres `bigint` (int8) as JS numbers where they fit: ids and counters here stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** The kysely handle and the pool under it. */
export type Database = Kysely<DatabaseSchema>;

/**
 * Opens a pooled kysely connection. Pool errors (a server restart) are logged, not thrown; a
 * query that fails because the server cannot be reached throws `UnavailableError` (a 503 at the
 * HTTP edge), so callers never need pg's error shapes. Clients in use that lose their connection
 * are dropped by the pool and replaced by the next connect, so an outage heals by itself.
 */
export function createDatabase(options: {
  url: string;
  poolMax: number;
  logger: Logger;
  applicationName?: string;
}): Database {
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
  // The pool takes its own error listener off a client while it is checked out (a transaction
  // between two statements), and an unheard 'error' event ends the process. The statement in
  // flight, or the next one, fails with the same error and the pool then drops the client.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      if ((pool as { ending?: boolean }).ending !== true)
        options.logger.debug({ err: error }, 'a Postgres connection in use failed');
    });
  });
  return new Kysely<DatabaseSchema>({ dialect: new PostgresDialect({ pool: classifyingPool(pool) }) });
}

/** SQLSTATEs that mean "the server went away", not "the query was wrong". */
const unavailableStates = new Set(['57P01', '57P02', '57P03', '53300']);
/** Socket errors of a connection attempt or a dropped connection. */
const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNABORTED',
]);
/** pg's and pg-pool's own errors for the same, which carry no code. */
const unavailableMessages = new RegExp(
  '^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|' +
    'Client was closed and is not queryable|Connection closed|Stream was cancelled)',
);

/** True when `error` says the database could not be reached (as opposed to a bad query). */
export function isConnectionError(error: unknown): boolean {
  if (error instanceof UnavailableError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (code.startsWith('08') || unavailableStates.has(code) || unavailableErrnos.has(code)))
    return true;
  return error instanceof Error && unavailableMessages.test(error.message);
}

function classified(error: unknown): unknown {
  return isConnectionError(error) && !(error instanceof UnavailableError)
    ? new UnavailableError('The database', { cause: error })
    : error;
}

/** The pool as kysely sees it, with connection-class failures turned into `UnavailableError`. */
function classifyingPool(pool: pg.Pool): pg.Pool {
  const wrapped = new WeakMap<pg.PoolClient, pg.PoolClient>();
  const wrap = (client: pg.PoolClient): pg.PoolClient => {
    let made = wrapped.get(client);
    if (made === undefined) {
      made = Object.create(client, {
        query: {
          value: (...args: unknown[]) =>
            (client.query as (...a: unknown[]) => Promise<unknown>)(...args).catch((error: unknown) =>
              Promise.reject(classified(error)),
            ),
        },
        release: { value: (destroy?: boolean | Error) => client.release(destroy) },
      }) as pg.PoolClient;
      wrapped.set(client, made);
    }
    return made;
  };
  return Object.create(pool, {
    connect: { value: () => pool.connect().then(wrap, (error: unknown) => Promise.reject(classified(error))) },
    end: { value: () => pool.end() },
  }) as pg.Pool;
}

/** Readiness: the database answers a query. */
export function databaseProbe(db: Database): ReadinessProbe {
  return {
    name: 'database',
    async check() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        // The operator wants the driver's own words (ECONNREFUSED, 57P01), not the API's message.
        if (error instanceof UnavailableError && error.cause instanceof Error)
          return { ok: false, reason: error.cause.message };
        throw error;
      }
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
    throw new Error(
      `Cannot reach the database at ${redactUrl(url)}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
