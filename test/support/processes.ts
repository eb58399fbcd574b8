import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';

/**
 * BATON_CREDENTIAL_KEYS for servers started by tests: one fixed key (bytes 0..31), so every server
 * and CLI process a test starts against one database opens the same stored secrets.
 */
export const testCredentialKeys = 'test:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

/** A child process whose output is kept, for tests that run Baton as a user would. */
export interface Spawned {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
}

/** Spawns a command in the repository with the given environment (merged over ours). */
export function spawnCommand(command: string, args: string[], env: Record<string, string | undefined>): Spawned {
  const merged: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [key, value] of Object.entries(merged)) if (value === undefined) delete merged[key];
  const child = spawn(command, args, { env: merged, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, output: () => out, exited };
}

/**
 * How long a test waits for a server it started to become ready: a cap, not an expectation. Starting
 * Node on the TypeScript sources takes seconds, and many times that while other processes hold the cores.
 */
export const startPatienceMs = 180_000;

/** Polls `url` until it answers with `status`, or fails after `timeoutMs`. Returns the elapsed ms. */
export async function waitForStatus(url: string, status: number, timeoutMs: number, proc?: Spawned): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    try {
      // A loaded machine may answer late: a slow answer is still an answer (the loop's cap bounds it).
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      if (res.status === status) return Date.now() - start;
    } catch {
      // not listening yet
    }
    if (proc !== undefined && proc.child.exitCode !== null) throw new Error(`process exited early:\n${proc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `${url} did not answer ${status} within ${timeoutMs} ms${proc === undefined ? '' : `\n${proc.output()}`}`,
  );
}

/**
 * Starts the server the way a SIGKILL test needs it: `node src/main/server.ts` directly (not through
 * npm, so a signal hits the server itself) against `databaseUrl` on `port`, with test defaults that
 * `env` can override. Resolves once /readyz answers 200.
 */
export async function startServerProcess(
  databaseUrl: string,
  port: number,
  env: Record<string, string> = {},
): Promise<Spawned> {
  const server = spawnCommand(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main/server.ts'],
    {
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      BATON_ENV: 'test',
      BATON_DEV_IDP: 'false',
      LOG_LEVEL: 'warn',
      BATON_CREDENTIAL_KEYS: testCredentialKeys,
      ...env,
    },
  );
  await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, startPatienceMs, server);
  return server;
}

/** Pids of Postgres server processes whose command line mentions `path`. */
export function postgresProcessesFor(path: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `postgres.*${path}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * Starts the local execution plane as its own process (`node src/main/sandbox-local.ts`, as
 * `npm run sandbox:local` does) on `port`, keeping its ledger under `dataDir`. Resolves once it answers.
 */
export async function startSandboxProcess(port: number, dataDir: string): Promise<Spawned & { url: string }> {
  const plane = spawnCommand(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main/sandbox-local.ts'],
    { SANDBOX_PORT: String(port), SANDBOX_DATA_DIR: dataDir },
  );
  await waitForStatus(`http://127.0.0.1:${port}/v1/ledger`, 200, startPatienceMs, plane);
  return { ...plane, url: `http://127.0.0.1:${port}` };
}
