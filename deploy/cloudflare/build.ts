/**
 * `npm run build:cloudflare [-- --outfile <path>]`: bundles the Worker entry
 * (src/main/cloudflare/worker.ts) for workerd into deploy/cloudflare/dist/worker.js, the file
 * wrangler.toml's `main` names, and prints its size. Run by Node with type stripping.
 */
import { build, type BuildOptions } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { unenvCloudflare } from './unenv-plugin.ts';
import { wranglerRuntime } from './wrangler-runtime.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The Worker's entry and the bundle's default place. */
export const workerEntry = resolve(root, 'src/main/cloudflare/worker.ts');
export const defaultOutfile = resolve(root, 'deploy/cloudflare/dist/worker.js');
/** What deploys the bundle: its compatibility date and flags decide which Node built-ins workerd has. */
export const wranglerToml = resolve(root, 'deploy/cloudflare/wrangler.toml');

/** How code is bundled for workerd (the build and the tests' Workers): ESM, no Node resolution. */
export const workerdBundling = {
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  mainFields: ['module', 'main'],
  conditions: ['workerd', 'worker', 'browser'],
} as const satisfies BuildOptions;

/**
 * Bundles the Worker: ESM for the neutral platform (no Node resolution; `workerd` conditions pick
 * pg-cloudflare's socket over `net`), `cloudflare:*` left for the runtime and Node's built-ins as
 * unenv's Cloudflare preset says for wrangler.toml's compatibility date and flags (what wrangler
 * does for `nodejs_compat`: `./unenv-plugin.ts`). Returns the
 * bundle's size in bytes, raw and gzipped (the Workers limit applies to the compressed size).
 */
export async function buildWorker(
  outfile = defaultOutfile,
): Promise<{ outfile: string; bytes: number; gzipBytes: number }> {
  const runtime = await wranglerRuntime(wranglerToml);
  await build({
    entryPoints: [workerEntry],
    outfile,
    ...workerdBundling,
    mainFields: [...workerdBundling.mainFields],
    conditions: [...workerdBundling.conditions],
    external: ['cloudflare:*'],
    plugins: [unenvCloudflare({ compatibilityDate: runtime.date, compatibilityFlags: runtime.flags })],
    minify: true,
    sourcemap: 'linked',
    logLevel: 'warning',
  });
  const code = await readFile(outfile);
  return { outfile, bytes: code.byteLength, gzipBytes: gzipSync(code).byteLength };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { outfile: { type: 'string' } } });
  const built = await buildWorker(values.outfile === undefined ? defaultOutfile : resolve(values.outfile));
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const gzip = `${built.gzipBytes} bytes gzip (${kib(built.gzipBytes)})`;
  process.stdout.write(
    `${relative(process.cwd(), built.outfile)}: ${built.bytes} bytes (${kib(built.bytes)}), ${gzip}\n`,
  );
}
