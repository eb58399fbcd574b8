/**
 * `npm run build:cloudflare [-- --outfile <path>]`: bundles the Worker entry
 * (src/main/cloudflare/worker.ts) for workerd into deploy/cloudflare/dist/worker.js, the file
 * wrangler.toml's `main` names, and prints its size. Run by Node with type stripping.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The Worker's entry and the bundle's default place. */
export const workerEntry = resolve(root, 'src/main/cloudflare/worker.ts');
export const defaultOutfile = resolve(root, 'deploy/cloudflare/dist/worker.js');

/**
 * With `nodejs_compat`, workerd provides Node's built-in modules, but only as ES modules under
 * `node:` names. Dependencies (pg) `require` them, often bare (`net`, `events`), and esbuild's
 * `require` of an external fails in an ES module at run time. So, as wrangler does, a `require` of
 * a built-in becomes a tiny module that imports the `node:` module and exports its default, and a
 * bare `import` is renamed to the `node:` name and left external.
 */
export const nodeBuiltins: Plugin = {
  name: 'node-builtins',
  setup(b) {
    const names = builtinModules
      .filter((name) => !name.startsWith('_') && !name.startsWith('node:'))
      .map((name) => name.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&'));
    const filter = new RegExp(`^(node:)?(${names.join('|')})$`);
    b.onResolve({ filter }, (args) => {
      const name = args.path.startsWith('node:') ? args.path : `node:${args.path}`;
      if (args.kind === 'require-call') return { path: name, namespace: 'node-require' };
      return { path: name, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-require' }, (args) => ({
      contents: `import builtin from ${JSON.stringify(args.path)};\nmodule.exports = builtin;\n`,
      loader: 'js',
    }));
  },
};

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
 * pg-cloudflare's socket over `net`), `node:*` and `cloudflare:*` left for the runtime. Returns the
 * bundle's size in bytes, raw and gzipped (the Workers limit applies to the compressed size).
 */
export async function buildWorker(
  outfile = defaultOutfile,
): Promise<{ outfile: string; bytes: number; gzipBytes: number }> {
  await build({
    entryPoints: [workerEntry],
    outfile,
    ...workerdBundling,
    mainFields: [...workerdBundling.mainFields],
    conditions: [...workerdBundling.conditions],
    external: ['node:*', 'cloudflare:*'],
    plugins: [nodeBuiltins],
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
  process.stdout.write(
    `${relative(process.cwd(), built.outfile)}: ${built.bytes} bytes (${kib(built.bytes)}), ${built.gzipBytes} bytes gzip (${kib(built.gzipBytes)})\n`,
  );
}
