import type { Logger as PinoLogger } from 'pino';
import packageJson from '../../package.json' with { type: 'json' };
import { startDevIdentityProvider } from '../adapters/dev-idp/dev-identity-provider.ts';
import { createHttpServer } from '../adapters/fastify/http-server.ts';
import { createOpenIdClientProvider } from '../adapters/oidc/openid-client-identity-provider.ts';
import { PgBossJobQueue } from '../adapters/pgboss/pg-boss-job-queue.ts';
import { assertReachable, createDatabase, databaseProbe } from '../adapters/postgres/database.ts';
import { migrateToLatest, migrationsProbe } from '../adapters/postgres/migrator.ts';
import type { Config } from '../app/config.ts';
import { buildRouteTable } from '../app/http/routes/index.ts';
import { authenticate } from '../app/identity/authenticate.ts';
import { callbackUrl } from '../app/identity/login.ts';
import type { Clock } from '../ports/clock.ts';
import type { IdentityProvider } from '../ports/identity-provider.ts';
import { createPostgresAppContext } from './app-context.ts';
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
export async function startNode(config: Config, logger: PinoLogger, options: { clock?: Clock } = {}): Promise<NodeApp> {
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

    let identityProvider: IdentityProvider | undefined;
    if (config.identity.oidc !== undefined) {
      identityProvider = createOpenIdClientProvider({ ...config.identity.oidc, allowHttp: config.env !== 'production' });
    } else if (config.identity.devIdp !== undefined) {
      const devIdp = await startDevIdentityProvider({ port: config.identity.devIdp.port, host: config.http.host, redirectUris: [callbackUrl(config.http.publicUrl)], logger });
      cleanups.push(() => devIdp.close());
      identityProvider = createOpenIdClientProvider({ issuer: devIdp.issuer, clientId: devIdp.clientId, clientSecret: devIdp.clientSecret, allowHttp: true });
    }

    const app = createPostgresAppContext(db, config, { ...(identityProvider === undefined ? {} : { identityProvider }), ...(options.clock === undefined ? {} : { clock: options.clock }) });
    const routes = buildRouteTable({ version: packageJson.version, probes: [databaseProbe(db), migrationsProbe(db), jobs.probe()], app });
    const server = await createHttpServer({
      routes,
      logger,
      bodyLimit: config.http.bodyLimit,
      context: { authenticate: (headers) => authenticate(app, headers), publicOrigin: new URL(config.http.publicUrl).origin },
      rateLimits: config.rateLimits,
    });
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
