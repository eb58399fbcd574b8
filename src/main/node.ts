import type { Logger as PinoLogger } from 'pino';
import packageJson from '../../package.json' with { type: 'json' };
import { createHttpServer } from '../adapters/fastify/http-server.ts';
import { PgBossJobQueue } from '../adapters/pgboss/pg-boss-job-queue.ts';
import { assertReachable, createDatabase, databaseProbe } from '../adapters/postgres/database.ts';
import { migrateToLatest, migrationsProbe } from '../adapters/postgres/migrator.ts';
import type { Config } from '../app/config.ts';
import { buildRouteTable } from '../app/http/routes/index.ts';
import { openDatabase } from './database.ts';

/** A running Baton on Node. */
export interface NodeApp {
  /** Where the HTTP server listens, e.g. http://127.0.0.1:8787. */
  readonly url: string;
  /** Graceful stop: stop accepting, drain requests and jobs, stop the queue and the database. */
  close(): Promise<void>;
}

/**
 * The Node composition root: the only place that knows every adapter. Opens the database
 * (DATABASE_URL or the embedded one), migrates, starts the job queue and the HTTP server.
 * If a step fails, everything started before it is stopped again before the error is thrown.
 */
export async function startNode(config: Config, logger: PinoLogger): Promise<NodeApp> {
  const cleanups: Array<() => Promise<void>> = [];
  const unwind = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
  };
  try {
    const database = await openDatabase(config, logger, 'server');
    cleanups.push(() => database.release());
    await assertReachable(database.url);

    const db = createDatabase({ url: database.url, poolMax: config.database.poolMax, logger });
    cleanups.push(() => db.destroy());
    const applied = await migrateToLatest(db);
    if (applied.length > 0) logger.info({ migrations: applied }, 'applied migrations');

    const jobs = new PgBossJobQueue({ connectionString: database.url, logger });
    await jobs.start();
    cleanups.push(() => jobs.stop({ timeoutMs: config.shutdownTimeoutMs }));

    const routes = buildRouteTable({ version: packageJson.version, probes: [databaseProbe(db), migrationsProbe(db), jobs.probe()] });
    const server = createHttpServer({ routes, logger, bodyLimit: config.http.bodyLimit });
    cleanups.push(() => server.close());
    await server.listen({ port: config.http.port, host: config.http.host });
    const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${config.http.port}`;

    let closing: Promise<void> | undefined;
    return { url, close: () => (closing ??= unwind()) };
  } catch (error) {
    await unwind();
    throw error;
  }
}
