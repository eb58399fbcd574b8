/**
 * What the benchmarks share: starting Baton in this process the way a bench needs it, rounding and
 * percentiles, and writing bench/results/<name>.json with the machine it ran on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { cpus, totalmem } from 'node:os';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { startNode, type NodeApp } from '../../src/main/node.ts';

/** Two decimals. */
export const round = (n: number) => Math.round(n * 100) / 100;

/** The p-th percentile of an ascending list. */
export const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/**
 * Baton on a free port: `DATABASE_URL` when set, else the embedded Postgres under `.data/bench`
 * (created on first use, reused after); quiet logs; no rate or sandbox limit in the way; the local
 * execution plane in process.
 */
export async function startBenchBaton(env: Record<string, string> = {}): Promise<NodeApp> {
  // Embedded Postgres run as root needs a data directory parent the `postgres` user can write.
  mkdirSync('.data', { recursive: true, mode: 0o777 });
  const config = resolveConfig({
    ...(process.env.DATABASE_URL === undefined ? {} : { DATABASE_URL: process.env.DATABASE_URL }),
    BATON_ENV: 'test',
    BATON_DATA_DIR: '.data/bench',
    PORT: String(await freePort()),
    BATON_DEV_IDP: 'false',
    LOG_LEVEL: 'error',
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '1000000',
    // Every execution of a bench gets its own sandbox at once.
    BATON_SANDBOX_MAX_PER_WORKSPACE: '100000',
    ...env,
  });
  return startNode(config, createLogger({ ...config.log, format: 'json' }));
}

/** Writes bench/results/<name>.json: `{ name, ...result, machine }`. */
export function writeResults(name: string, result: Record<string, unknown>): void {
  const machine = {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    totalMemoryGiB: round(totalmem() / 2 ** 30),
    platform: process.platform,
  };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, `${JSON.stringify({ name, ...result, machine }, null, 2)}\n`);
}

/**
 * The local execution plane as its own process (`src/main/sandbox-local.ts`, what `npm run
 * sandbox:local` runs), on a free port with a fresh ledger under `.data/bench/plane`: a sandbox is not
 * part of the control plane's process.
 */
export async function startBenchPlane(): Promise<{ url: string; child: ChildProcess }> {
  // A fresh ledger each run: it only grows, and the bench reads it whole.
  rmSync('.data/bench/plane', { recursive: true, force: true });
  const child = spawn(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main/sandbox-local.ts'],
    {
      env: { ...process.env, SANDBOX_PORT: '0', SANDBOX_DATA_DIR: '.data/bench/plane' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout ?? process.stdin });
  for await (const line of lines) {
    const url = (JSON.parse(line) as { url?: string }).url;
    if (url !== undefined) return { url, child };
  }
  throw new Error('the local execution plane did not start');
}
