import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startSandboxProcess, startServerProcess, type Spawned } from './processes.ts';
import { silentLogger } from './silent-logger.ts';

/** What the end-to-end tests read from API answers (loosely: each test checks its own fields). */
export type ApiBody = Record<string, unknown> & {
  id?: string;
  status?: string;
  steps?: Record<
    string,
    { status: string; attempt?: number; finishedAt?: number | null; output?: unknown; error?: string | null }
  >;
};

/**
 * The server and the local execution plane as their own processes, the way a crash test needs them
 * (`BATON_SANDBOX_PROVIDER=http`, so the plane outlives a killed server and keeps the ledger of
 * every run it started), on a database of the test file's own with a user, a workspace, a dashboard
 * and an API token.
 */
export interface PlaneFixture {
  readonly db: Database;
  readonly token: string;
  readonly workspaceId: string;
  readonly dashboardId: string;
  /** The server process, while one runs. */
  readonly server: Spawned | undefined;
  /** The plane process (restarted on the same port and data by `restartPlane`). */
  readonly plane: Spawned & { url: string };
  /** Starts the server (resolves once it is ready). */
  startServer(): Promise<void>;
  /** SIGKILLs the server and waits for it to be gone. */
  killServer(): Promise<void>;
  /** SIGKILLs the plane and starts it again on the same port and data directory. */
  restartPlane(): Promise<void>;
  /** Calls the server's API with the fixture's token. */
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: ApiBody }>;
  /** Stops both processes and drops the database. */
  close(): Promise<void>;
}

/** Starts the plane and prepares the server of a crash test; `env` is added to the server's defaults. */
export async function createPlaneFixture(name: string, env: Record<string, string> = {}): Promise<PlaneFixture> {
  const database: TestDatabase = await createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), `baton-${name}-`));
  const db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  const made = await bootstrapToken(ctx, { email: `${name}@example.com`, workspaceName: name });
  const workspaceId = made.workspace?.id ?? '';
  const dashboardId = (await createDashboard(ctx, sessionPrincipal(made.user.id), workspaceId, { name }, 'setup')).id;
  const port = await freePort();
  const planePort = await freePort();
  let plane = await startSandboxProcess(planePort, join(dataDir, 'plane'));
  let server: Spawned | undefined;
  const kill = async (process: Spawned | undefined) => {
    if (process === undefined || process.child.exitCode !== null || process.child.signalCode !== null) return;
    process.child.kill('SIGKILL');
    await process.exited;
  };
  return {
    db,
    token: made.secret,
    workspaceId,
    dashboardId,
    get server() {
      return server;
    },
    get plane() {
      return plane;
    },
    async startServer() {
      server = await startServerProcess(database.url, port, {
        BATON_DATA_DIR: dataDir,
        BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
        BATON_SANDBOX_PROVIDER: 'http',
        BATON_SANDBOX_URL: plane.url,
        BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
        BATON_REAPER_INTERVAL_SECONDS: '1',
        BATON_SANDBOX_MAX_PER_WORKSPACE: '50',
        ...env,
      });
    },
    killServer: () => kill(server),
    async restartPlane() {
      await kill(plane);
      plane = await startSandboxProcess(planePort, join(dataDir, 'plane'));
    },
    async api(method, path, body) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${made.secret}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as ApiBody };
    },
    async close() {
      await Promise.all([kill(server), kill(plane)]);
      await db.destroy();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
