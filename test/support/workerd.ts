import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Miniflare, type WorkerOptions as MiniflareWorkerOptions } from 'miniflare';
import { workerdBundling } from '../../deploy/cloudflare/build.ts';
import { unenvCloudflare } from '../../deploy/cloudflare/unenv-plugin.ts';
import { wranglerRuntime } from '../../deploy/cloudflare/wrangler-runtime.ts';
import { testCredentialKeys } from './processes.ts';

/** A Worker running in workerd (through Miniflare), reached over real HTTP on loopback. */
export interface WorkerdWorker {
  /** Where the Worker listens, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Sends a request to the Worker; `path` is relative to its URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The Miniflare instance, for its Node-side handles on bindings (e.g. `getQueueProducer`). */
  readonly miniflare: Miniflare;
  /** Stops workerd. */
  dispose(): Promise<void>;
}

/** How to build and run a Worker. */
export interface WorkerOptions {
  /** The Worker module's TypeScript entry file (it `export default { fetch }`); or give `bundle`. */
  readonly entry?: string;
  /** An already bundled Worker module (e.g. what `npm run build:cloudflare` wrote), run as it is. */
  readonly bundle?: string;
  /** workerd's compatibility date, e.g. `2025-09-01` (at most the installed workerd's own date). */
  readonly compatibilityDate: string;
  /** Compatibility flags, e.g. `nodejs_compat` (only then may the bundle import `node:*`). */
  readonly compatibilityFlags?: readonly string[];
  /** Plain-text bindings the Worker sees in `env`. */
  readonly bindings?: Readonly<Record<string, string>>;
  /** Queue producers (binding → queue name) and consumers (queue name → settings) of the Worker. */
  readonly queues?: Pick<MiniflareWorkerOptions, 'queueProducers' | 'queueConsumers'>;
  /** Hyperdrive bindings (binding → the Postgres URL Miniflare's local proxy connects to). */
  readonly hyperdrives?: Readonly<Record<string, string>>;
  /** Durable Object bindings (binding → class name exported by the Worker). */
  readonly durableObjects?: Readonly<Record<string, string>>;
  /** Where Durable Object storage lives (default: in memory). */
  readonly durableObjectsPersist?: string;
  /** The loopback port to listen on (default: any free one), for URLs that must be known first. */
  readonly port?: number;
}

/**
 * Bundles `entry` with esbuild for the Workers runtime (ESM, no Node platform: an import of
 * `node:*` without `nodejs_compat` fails the build, as it would fail deployment) and starts it in
 * workerd. Dispose it in `afterAll`.
 */
export async function startWorker(options: WorkerOptions): Promise<WorkerdWorker> {
  const flags = [...(options.compatibilityFlags ?? [])];
  const code =
    options.bundle === undefined
      ? await bundleEntry(options.entry, options.compatibilityDate, flags)
      : await readFile(options.bundle, 'utf8');
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: code }],
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: flags,
    bindings: { ...options.bindings },
    ...options.queues,
    ...(options.hyperdrives === undefined ? {} : { hyperdrives: { ...options.hyperdrives } }),
    ...(options.durableObjects === undefined ? {} : { durableObjects: { ...options.durableObjects } }),
    ...(options.durableObjectsPersist === undefined ? {} : { durableObjectsPersist: options.durableObjectsPersist }),
    host: '127.0.0.1',
    port: options.port ?? 0,
  });
  const url = await mf.ready;
  return {
    url: url.origin,
    miniflare: mf,
    fetch: (path, init) => fetch(new URL(path, url), init),
    dispose: () => mf.dispose(),
  };
}

/**
 * Bundles a TypeScript entry for workerd. With `nodejs_compat`, Node built-ins are handled by
 * unenv's Cloudflare preset for the Worker's date and flags, as in `npm run build:cloudflare`.
 */
async function bundleEntry(entry: string | undefined, date: string, flags: readonly string[]): Promise<string> {
  if (entry === undefined) throw new Error('startWorker needs an entry or a bundle');
  const nodejsCompat = flags.includes('nodejs_compat');
  const bundle = await build({
    entryPoints: [entry],
    write: false,
    ...workerdBundling,
    mainFields: [...workerdBundling.mainFields],
    conditions: [...workerdBundling.conditions],
    external: ['cloudflare:*'],
    plugins: nodejsCompat ? [unenvCloudflare({ compatibilityDate: date, compatibilityFlags: flags })] : [],
    logLevel: 'silent',
  });
  const code = bundle.outputFiles[0]?.text;
  if (code === undefined) throw new Error(`esbuild produced nothing for ${entry}`);
  return code;
}

export { wranglerRuntime, type WranglerRuntime } from '../../deploy/cloudflare/wrangler-runtime.ts';

/** How a test runs the built Baton Worker. */
export interface BatonWorkerOptions {
  /** The bundle `buildWorkerBundle` wrote. */
  readonly bundle: string;
  /** The Postgres behind the HYPERDRIVE binding (already migrated). */
  readonly databaseUrl: string;
  /** BATON_PUBLIC_URL (same-site checks, callback URLs). */
  readonly publicUrl: string;
  /** More variables, or other values for the test defaults (BATON_ENV=test, LOG_LEVEL=silent, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** The loopback port, when a URL must be known before the Worker starts. */
  readonly port?: number;
  /** The Worker also consumes its queue (default: it only produces, as a test of the API needs). */
  readonly consumeJobs?: boolean;
  /** Bind the dashboard Durable Object (default true); its storage in this directory when given. */
  readonly dashboards?: boolean;
  readonly dashboardsDir?: string;
}

/**
 * The built Baton Worker as deployed: wrangler.toml's compatibility date, flags and dashboard
 * Durable Object, Postgres through Hyperdrive, the JOBS queue (consumed by the Worker itself when
 * asked: 100 retries as in wrangler.toml, batches handed over without waiting).
 */
export async function startBatonWorker(options: BatonWorkerOptions): Promise<WorkerdWorker> {
  const runtime = await wranglerRuntime();
  const durableObject = runtime.durableObject;
  if ((options.dashboards ?? true) && durableObject === undefined)
    throw new Error('wrangler.toml declares no Durable Object binding');
  return startWorker({
    bundle: options.bundle,
    compatibilityDate: runtime.date,
    compatibilityFlags: runtime.flags,
    bindings: {
      BATON_ENV: 'test',
      BATON_PUBLIC_URL: options.publicUrl,
      BATON_DEV_IDP: 'false',
      LOG_LEVEL: 'silent',
      BATON_CREDENTIAL_KEYS: testCredentialKeys,
      ...options.env,
    },
    hyperdrives: { HYPERDRIVE: options.databaseUrl },
    queues: {
      queueProducers: { JOBS: 'baton-jobs' },
      queueConsumers:
        options.consumeJobs === true ? { 'baton-jobs': { maxBatchSize: 25, maxBatchTimeout: 0, maxRetries: 100 } } : {},
    },
    ...((options.dashboards ?? true) && durableObject !== undefined
      ? { durableObjects: { [durableObject.binding]: durableObject.className } }
      : {}),
    ...(options.dashboardsDir === undefined ? {} : { durableObjectsPersist: options.dashboardsDir }),
    ...(options.port === undefined ? {} : { port: options.port }),
  });
}

/** Runs `npm run build:cloudflare`'s script into `outDir/worker.js`; resolves with what it printed. */
export async function buildWorkerBundle(outDir: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--experimental-strip-types',
    '--disable-warning=ExperimentalWarning',
    'deploy/cloudflare/build.ts',
    '--outfile',
    join(outDir, 'worker.js'),
  ]);
  return stdout;
}
