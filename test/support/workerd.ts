import { build } from 'esbuild';
import { Miniflare } from 'miniflare';

/** A Worker running in workerd (through Miniflare), reached over real HTTP on loopback. */
export interface WorkerdWorker {
  /** Where the Worker listens, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Sends a request to the Worker; `path` is relative to its URL. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** Stops workerd. */
  dispose(): Promise<void>;
}

/** How to build and run a Worker. */
export interface WorkerOptions {
  /** The Worker module's TypeScript entry file (it `export default { fetch }`). */
  readonly entry: string;
  /** workerd's compatibility date, e.g. `2025-09-01` (at most the installed workerd's own date). */
  readonly compatibilityDate: string;
  /** Compatibility flags, e.g. `nodejs_compat` (only then may the bundle import `node:*`). */
  readonly compatibilityFlags?: readonly string[];
  /** Plain-text bindings the Worker sees in `env`. */
  readonly bindings?: Readonly<Record<string, string>>;
}

/**
 * Bundles `entry` with esbuild for the Workers runtime (ESM, no Node platform: an import of
 * `node:*` without `nodejs_compat` fails the build, as it would fail deployment) and starts it in
 * workerd. Dispose it in `afterAll`.
 */
export async function startWorker(options: WorkerOptions): Promise<WorkerdWorker> {
  const flags = [...(options.compatibilityFlags ?? [])];
  const bundle = await build({
    entryPoints: [options.entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*', ...(flags.includes('nodejs_compat') ? ['node:*'] : [])],
    logLevel: 'silent',
  });
  const code = bundle.outputFiles[0]?.text;
  if (code === undefined) throw new Error(`esbuild produced nothing for ${options.entry}`);
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: code }],
    compatibilityDate: options.compatibilityDate,
    compatibilityFlags: flags,
    bindings: { ...options.bindings },
    host: '127.0.0.1',
    port: 0,
  });
  const url = await mf.ready;
  return {
    url: url.origin,
    fetch: (path, init) => fetch(new URL(path, url), init),
    dispose: () => mf.dispose(),
  };
}
