import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../ports/logger.ts';
import type { AccessChange, AccessEvents } from '../../ports/realtime.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

const channel = 'baton_access';

/**
 * Access changes over Postgres NOTIFY: sent inside the caller's transaction (delivered at commit,
 * dropped on rollback) and heard by every Baton instance on the database.
 */
export class PgAccessEvents implements AccessEvents {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  async publish(change: AccessChange, tx?: Transaction): Promise<void> {
    await sql`select pg_notify(${channel}, ${JSON.stringify(change)})`.execute(executor(this.#db, tx));
  }
}

/**
 * Listens for access changes on a dedicated connection, reconnecting after failures. A change
 * missed while disconnected is covered by the periodic re-check of open connections.
 */
export async function listenAccessChanges(url: string, onChange: (change: AccessChange) => void, logger: Logger): Promise<{ close(): Promise<void> }> {
  let client: pg.Client | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const connect = async () => {
    const next = new pg.Client({ connectionString: url, application_name: 'baton-access-listener' });
    next.on('error', (error) => {
      logger.warn({ err: error }, 'access-change listener lost its connection; reconnecting');
      void next.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1_000);
    });
    next.on('notification', (message) => {
      if (message.channel !== channel || message.payload === undefined) return;
      try {
        onChange(JSON.parse(message.payload) as AccessChange);
      } catch (error) {
        logger.warn({ err: error }, 'ignored a malformed access-change notification');
      }
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (closed) await next.end();
      else client = next;
    } catch (error) {
      logger.warn({ err: error }, 'access-change listener could not connect; retrying');
      await next.end().catch(() => undefined);
      if (!closed) retry = setTimeout(() => void connect(), 1_000);
    }
  };
  await connect();
  return {
    async close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      await client?.end().catch(() => undefined);
    },
  };
}
