/**
 * What the benchmarks share: starting Baton in this process the way a bench needs it, rounding and
 * percentiles, and writing bench/results/<name>.json with the machine it ran on.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { freePort } from '../../src/adapters/postgres/embedded-postgres.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { startNode, type NodeApp } from '../../src/main/node.ts';

/** Two decimals. */
export const round = (n: number) => Math.round(n * 100) / 100;

/** The p-th percentile of an ascending list. */
export const percentile = (sorted: readonly number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;

/**
 * Baton on a free port: `DATABASE_URL` when set, else the embedded Postgres under `.data/bench`
 * (created on first use, reused after); quiet logs; no rate or sandbox limit in the way; the local
 * execution plane in process.
 */
export async function startBenchBaton(): Promise<NodeApp> {
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
  });
  return startNode(config, createLogger({ ...config.log, format: 'json' }));
}

/** Writes bench/results/<name>.json: `{ name, ...result, machine }`. */
export function writeResults(name: string, result: Record<string, unknown>): void {
  const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', totalMemoryGiB: round(totalmem() / 2 ** 30), platform: process.platform };
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/${name}.json`, `${JSON.stringify({ name, ...result, machine }, null, 2)}\n`);
}
