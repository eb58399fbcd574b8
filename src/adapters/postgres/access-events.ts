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
 * Listens for access changes on a dedicated connection. When the connection fails (a restart, a
 * failover), it reconnects with a capped exponential backoff; notifications sent meanwhile are
 * lost, so once listening again it calls `onReconnect` (the caller re-checks every open
 * connection). The periodic re-check remains the net under both.
 */
export async function listenAccessChanges(
  url: string,
  onChange: (change: AccessChange) => void,
  logger: Logger,
  options: { onReconnect?: () => void; initialBackoffMs?: number; maxBackoffMs?: number } = {},
): Promise<{ close(): Promise<void> }> {
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5_000;
  let client: pg.Client | undefined;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let lostAt: number | undefined;
  const scheduleReconnect = () => {
    if (closed || retry !== undefined) return;
    const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** Math.min(failures, 10));
    failures++;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delay);
  };
  const lose = (target: pg.Client, error: unknown, message: string) => {
    // One failure can be reported twice (an 'error' event and a rejected connect or query).
    if (target !== client && client !== undefined) return;
    if (client === target) client = undefined;
    target.removeAllListeners('notification');
    void target.end().catch(() => undefined);
    if (lostAt === undefined) {
      lostAt = Date.now();
      logger.warn({ err: error }, message);
    }
    scheduleReconnect();
  };
  const connect = async (): Promise<void> => {
    const next = new pg.Client({
      connectionString: url,
      application_name: 'baton-access-listener',
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    client = next;
    next.on('error', (error) => lose(next, error, 'access-change listener lost its connection; reconnecting'));
    next.on('end', () => {
      if (!closed && client === next)
        lose(next, new Error('connection ended'), 'access-change listener lost its connection; reconnecting');
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
    } catch (error) {
      lose(next, error, 'access-change listener could not connect; retrying');
      return;
    }
    if (closed) {
      await next.end().catch(() => undefined);
      return;
    }
    if (client !== next) return;
    failures = 0;
    if (lostAt !== undefined) {
      logger.info(
        { downMs: Date.now() - lostAt },
        'access-change listener is listening again; re-checking open connections',
      );
      lostAt = undefined;
      // Changes published while we were not listening were never heard: re-check everything.
      options.onReconnect?.();
    }
  };
  await connect();
  return {
    async close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      const last = client;
      client = undefined;
      await last?.end().catch(() => undefined);
    },
  };
}
