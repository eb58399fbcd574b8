/**
 * The Cloudflare build of Baton for benchmarks: the bundle `npm run build:cloudflare` writes, run in
 * workerd through Miniflare with wrangler.toml's date, flags and dashboard Durable Object, Postgres
 * through Hyperdrive, as test/workerd/realtime-do.test.ts runs it. Also finds the workerd process
 * Miniflare spawned, so a bench can read what it costs from /proc.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { buildWorker } from '../../deploy/cloudflare/build.ts';
import { wranglerRuntime } from '../../deploy/cloudflare/wrangler-runtime.ts';
import { childProcesses } from './proc-stats.ts';

/** The built Worker running in workerd. */
export interface WorkerdBaton {
  /** Where the Worker listens, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** The workerd process (Miniflare's child) that runs the Worker and every Durable Object. */
  readonly pid: number;
  /** Stops workerd. */
  dispose(): Promise<void>;
}

/** What the Worker needs from the bench: the database and the settings the Node Baton also has. */
export interface WorkerdBatonOptions {
  /** The Postgres the Node Baton migrated; Miniflare's Hyperdrive proxy connects to it. */
  readonly databaseUrl: string;
  /** BATON_PUBLIC_URL (only used for links). */
  readonly publicUrl: string;
  /** A scratch directory: the bundle and the (empty) Durable Object storage go there. */
  readonly dir: string;
}

/** Builds the Worker bundle into `dir` and starts it in workerd. */
export async function startWorkerdBaton(options: WorkerdBatonOptions): Promise<WorkerdBaton> {
  const outfile = join(options.dir, 'worker.js');
  await buildWorker(outfile);
  const runtime = await wranglerRuntime();
  const durableObject = runtime.durableObject;
  if (durableObject === undefined) throw new Error('wrangler.toml declares no Durable Object binding');
  const before = new Set(childProcesses(process.pid, 'workerd'));
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: await readFile(outfile, 'utf8') }],
    compatibilityDate: runtime.date,
    compatibilityFlags: runtime.flags,
    // Defaults otherwise, as deployed: connections are admitted again every 60 s, as on Node. No
    // credential keys: live dashboards never open a stored secret.
    bindings: { BATON_ENV: 'test', BATON_PUBLIC_URL: options.publicUrl, BATON_DEV_IDP: 'false', LOG_LEVEL: 'error' },
    hyperdrives: { HYPERDRIVE: options.databaseUrl },
    queueProducers: { JOBS: 'baton-jobs' },
    durableObjects: { [durableObject.binding]: durableObject.className },
    durableObjectsPersist: await mkdtemp(join(options.dir, 'objects-')),
    host: '127.0.0.1',
    port: 0,
  });
  const url = (await mf.ready).origin;
  const started = childProcesses(process.pid, 'workerd').filter((pid) => !before.has(pid));
  if (started.length !== 1 || started[0] === undefined) {
    await mf.dispose();
    throw new Error(`expected one new workerd process, found ${started.length}`);
  }
  return { url, pid: started[0], dispose: () => mf.dispose() };
}
