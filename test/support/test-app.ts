import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { resolveConfig, type Config } from '../../src/app/config.ts';
import type { AppContext } from '../../src/app/context.ts';
import { startNode, type NodeApp } from '../../src/main/node.ts';
import type { Clock } from '../../src/ports/clock.ts';
import type { ResolveAll } from '../../src/adapters/node-http/egress-guard.ts';
import { testCredentialKeys } from './processes.ts';
import { silentLogger } from './silent-logger.ts';
import type { Writable } from 'node:stream';

/** A Baton server started in-process on its own port, plus direct access to its ports for set-up. */
export interface TestApp {
  readonly url: string;
  readonly config: Config;
  /** The use cases' ports over the same database, for arranging a test (minting tokens, …). */
  readonly ctx: AppContext;
  readonly db: Database;
  /** The server's local execution plane (its ledger, `GET <url>/v1/ledger`, proves nothing ran twice). */
  readonly sandboxUrl: string;
  close(): Promise<void>;
}

/**
 * Starts Baton against `databaseUrl` with test defaults; `env` overrides any variable. Without a
 * PORT a free port is probed first; another process may take it before Baton listens (tests run
 * in parallel, and workerd picks ports too), so a start that finds it taken tries another one.
 */
export async function startTestApp(
  databaseUrl: string,
  env: Record<string, string> = {},
  options: { logs?: Writable; clock?: Clock; resolveHost?: ResolveAll } = {},
): Promise<TestApp> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startOnce(databaseUrl, env, options);
    } catch (error) {
      if (env.PORT !== undefined || attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

async function startOnce(
  databaseUrl: string,
  env: Record<string, string>,
  options: { logs?: Writable; clock?: Clock; resolveHost?: ResolveAll },
): Promise<TestApp> {
  const port = env.PORT === undefined ? await freePort() : Number(env.PORT);
  const config = resolveConfig({
    BATON_ENV: 'test',
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    BATON_PUBLIC_URL: `http://127.0.0.1:${port}`,
    BATON_DEV_IDP: 'false',
    // Local state of this server alone (the local execution plane's ledger).
    BATON_DATA_DIR: join(tmpdir(), `baton-test-app-${randomUUID()}`),
    LOG_LEVEL: options.logs === undefined ? 'silent' : 'info',
    // Each shutdown step is bounded by this: a test's afterAll must not wait long for a stuck part.
    BATON_SHUTDOWN_TIMEOUT_MS: '3000',
    // A fixed key: servers a test starts one after another open the same stored secrets.
    BATON_CREDENTIAL_KEYS: testCredentialKeys,
    ...env,
  });
  const logger = createLogger({
    ...config.log,
    format: 'json',
    ...(options.logs === undefined ? {} : { destination: options.logs }),
  });
  const node: NodeApp = await startNode(config, logger, {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.resolveHost === undefined ? {} : { resolveHost: options.resolveHost }),
  });
  const db = createDatabase({ url: databaseUrl, poolMax: 2, logger: silentLogger });
  return {
    url: node.url,
    config,
    ctx: node.app,
    sandboxUrl: node.localSandboxUrl ?? '',
    db,
    async close() {
      await node.close();
      await db.destroy();
    },
  };
}
