import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../../src/adapters/node-net/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';
import { spawnCommand, testCredentialKeys, waitForStatus, type Spawned } from '../../support/processes.ts';

/** Baton as a person runs it (`node src/main/server.ts`), with the development identity provider. */
export interface RunningServer {
  /** Where the console and the API answer (also BATON_PUBLIC_URL: cookies are per host). */
  readonly url: string;
  /** The environment it runs with (the CLI needs the same to reach its database). */
  readonly env: Readonly<Record<string, string>>;
  readonly process: Spawned;
  stop(): Promise<void>;
}

/** How to start the server for the browser tests (the defaults) or a benchmark. */
export interface ServerOptions {
  /**
   * Outside vitest (benchmarks): keep data here, on the embedded Postgres the server starts itself
   * (as `npm start` does), kept after `stop`. Tests leave it out: a database of their own, dropped.
   */
  readonly dataDir?: string;
  /** More environment for the server (a benchmark lifts the rate limits). */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts the real server on its own database, the development identity provider beside it, and
 * waits until the console's page answers 200 (the server builds the console first when web/dist is
 * missing or stale; that can take a while on a busy machine).
 */
export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const database: TestDatabase | undefined = options.dataDir === undefined ? await createTestDatabase() : undefined;
  if (options.dataDir !== undefined) await mkdir(dirname(options.dataDir), { recursive: true, mode: 0o777 });
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'baton-browser-')));
  const port = await freePort();
  let idpPort = await freePort();
  while (idpPort === port) idpPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ...(database === undefined ? {} : { DATABASE_URL: database.url }),
    PORT: String(port),
    HOST: '127.0.0.1',
    BATON_PUBLIC_URL: url,
    BATON_ENV: 'test',
    BATON_DEV_IDP: 'true',
    BATON_DEV_IDP_PORT: String(idpPort),
    BATON_DATA_DIR: dataDir,
    BATON_CREDENTIAL_KEYS: testCredentialKeys,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
  const server = spawnCommand(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main/server.ts'],
    env,
  );
  const stop = async () => {
    if (server.child.exitCode === null) {
      server.child.kill('SIGTERM');
      const killer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(killer);
    }
    if (database === undefined) return;
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForStatus(`${url}/readyz`, 200, 60_000, server);
    await waitForStatus(`${url}/`, 200, 240_000, server);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, env, process: server, stop };
}

const run = promisify(execFile);

/** An API token with every scope for `email` (the user is made if needed), through the CLI. */
export async function createToken(server: RunningServer, email: string): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      'src/main/cli.ts',
      'admin',
      'create-token',
      '--email',
      email,
    ],
    { env: { ...process.env, ...server.env, LOG_LEVEL: 'warn' } },
  );
  const token = stdout.trim();
  if (token === '') throw new Error(`baton admin create-token printed no token for ${email}`);
  return token;
}
