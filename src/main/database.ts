import { startEmbeddedPostgres } from '../adapters/postgres/embedded-postgres.ts';
import type { Config } from '../app/config.ts';
import type { Logger } from '../ports/logger.ts';

/** The database to use and how to let go of it. */
export interface DatabaseHandle {
  readonly url: string;
  /** True when this is the embedded Postgres under BATON_DATA_DIR. */
  readonly embedded: boolean;
  /** Stops the embedded Postgres if this process owns it; a no-op for DATABASE_URL. */
  release(): Promise<void>;
}

/**
 * DATABASE_URL when set; otherwise the embedded Postgres under BATON_DATA_DIR, started if it is
 * not already running. A server takes ownership (stops it at shutdown); a CLI command only stops
 * it when it had to start it itself, so it never pulls the database from under a running server.
 */
export async function openDatabase(config: Config, logger: Logger, role: 'server' | 'cli'): Promise<DatabaseHandle> {
  if (config.database.url !== undefined)
    return { url: config.database.url, embedded: false, release: async () => undefined };
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger, takeOwnership: role === 'server' });
  return { url: embedded.url, embedded: true, release: () => embedded.stop() };
}
