import { resolveConfig, type Config } from '../../app/config.ts';
import type { DurableObjectNamespaceLike } from '../../adapters/cloudflare/durable-object-realtime.ts';
import type { QueueLike } from '../../adapters/cloudflare/queues-job-queue.ts';

/** The Hyperdrive binding as the Worker uses it: a Postgres URL to a pooled, nearby proxy. */
export interface HyperdriveLike {
  /** `postgres://…` for a client created per request (Hyperdrive keeps the real pool). */
  readonly connectionString: string;
}

/**
 * The Worker's `env`: the bindings declared in deploy/cloudflare/wrangler.toml, plus every
 * configuration variable of README's table as a plain-text var or a secret (same names as on Node).
 */
export interface WorkerEnv {
  /** Postgres through Hyperdrive; its connection string is DATABASE_URL. */
  readonly HYPERDRIVE: HyperdriveLike;
  /** The producer binding of the queue that carries every job topic. */
  readonly JOBS: QueueLike;
  /** The dashboards' Durable Objects (one per dashboard); without it, live dashboards answer 503. */
  readonly DASHBOARDS?: DurableObjectNamespaceLike;
  /** Vars and secrets (BATON_ENV, BATON_PUBLIC_URL, OIDC_*, BATON_CREDENTIAL_KEYS, …). */
  readonly [variable: string]: unknown;
}

/**
 * Resolves the configuration exactly as Node does (`resolveConfig`), from the Worker's string vars
 * and secrets, with DATABASE_URL taken from the Hyperdrive binding. Bindings that are not strings
 * (queues, Durable Objects) are not configuration and are skipped. Throws `ConfigError`.
 */
export function workerConfig(env: WorkerEnv): Config {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === 'string') variables[name] = value;
  if (typeof env.HYPERDRIVE?.connectionString !== 'string')
    throw new Error('The Worker has no HYPERDRIVE binding (see deploy/cloudflare/wrangler.toml)');
  return resolveConfig({ ...variables, DATABASE_URL: env.HYPERDRIVE.connectionString });
}
