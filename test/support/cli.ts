import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The package's `bin`, as `npm install -g` links it. */
const bin = fileURLToPath(new URL('../../cli/bin/baton.js', import.meta.url));

/** What one `baton …` run did. */
export interface CliRun {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real CLI as a user would (`node cli/bin/baton.js …`, the package's `bin`) with its
 * config in `configDir` and the file credential store (no OS keyring on a test machine, and none
 * of the developer's), `stdin` written then closed. BATON_URL/BATON_TOKEN of the outer environment
 * are removed so only what the test passes counts.
 */
export function runCli(
  args: readonly string[],
  options: { configDir: string; stdin?: string; env?: Record<string, string | undefined>; cwd?: string },
): Promise<CliRun> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    BATON_URL: undefined,
    BATON_TOKEN: undefined,
    BATON_CONTEXT: undefined,
    BATON_WORKSPACE: undefined,
    NO_COLOR: '1',
    BATON_CONFIG_DIR: options.configDir,
    BATON_KEYRING: 'off',
    ...options.env,
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, [bin, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(options.stdin ?? '');
  return new Promise((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? signal ?? 'unknown', stdout, stderr })),
  );
}
