/**
 * The Worker bundle's Node built-ins, handled as wrangler handles them for `nodejs_compat` (its
 * `hybrid-nodejs_compat` esbuild plugin): unenv's environment with Cloudflare's preset says, for
 * the compatibility date and flags, which built-ins workerd provides (left external), which it
 * lacks (aliased to unenv's polyfills), and which globals to inject (`process`, `Buffer`, … on older
 * dates). Keeping to the preset means a dependency that needs a built-in workerd lacks still builds
 * and runs the way it would under `wrangler deploy`.
 */
import type { Plugin } from 'esbuild';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCloudflarePreset, nonPrefixedNodeModules } from '@cloudflare/unenv-preset';
import { defineEnv } from 'unenv';

const require = createRequire(import.meta.url);
/** Where the virtual modules resolve their imports from (this project's node_modules). */
const here = dirname(fileURLToPath(import.meta.url));

/** workerd's compatibility settings the preset depends on (wrangler.toml's). */
export interface WorkerdCompatibility {
  readonly compatibilityDate: string;
  readonly compatibilityFlags: readonly string[];
}

/** The resolved environment: for a test, or to see what the preset decided. */
export function cloudflareEnv(compat: WorkerdCompatibility) {
  return defineEnv({
    presets: [
      getCloudflarePreset({ ...compat, compatibilityFlags: [...compat.compatibilityFlags] }),
      // As wrangler: dependencies that log through `debug` keep the real one, not unenv's no-op stub.
      { alias: { debug: 'debug' } },
    ],
    npmShims: true,
  }).env;
}

/** esbuild plugin applying Cloudflare's unenv preset (aliases, externals, injected globals, polyfills). */
export function unenvCloudflare(compat: WorkerdCompatibility): Plugin {
  return {
    name: 'unenv-cloudflare',
    setup(build) {
      const { alias, inject, external, polyfill } = cloudflareEnv(compat);
      const builtin = new RegExp(`^(${nonPrefixedNodeModules.join('|')}|node:.+)$`);

      // esbuild's `require` of an external fails in an ES module at run time: a `require` of a
      // built-in becomes a tiny module importing it and exporting its default.
      build.onResolve({ filter: builtin }, (args) =>
        args.kind === 'require-call' ? { path: args.path, namespace: 'node-built-in' } : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'node-built-in' }, (args) => ({
        contents: `import builtin from ${JSON.stringify(args.path)};\nmodule.exports = builtin;\n`,
        loader: 'js',
      }));

      // Every alias the preset names and that resolves here: external when workerd provides it,
      // else bundled from unenv (required npm shims through an ES module turned CommonJS).
      const resolved = new Map<string, string>();
      for (const [name, target] of Object.entries(alias)) {
        try {
          resolved.set(name, require.resolve(target));
        } catch {
          // A shim of a package this project does not have: nothing imports it.
        }
      }
      const escape = (name: string) => name.replace(/[/\\^$*+?.()|[\]{}]/g, '\\$&');
      const aliased = new RegExp(`^(${[...resolved.keys()].map(escape).join('|')})$`);
      build.onResolve({ filter: aliased }, (args) => {
        const target = alias[args.path] as string;
        if (args.kind === 'require-call' && (target.startsWith('unenv/npm/') || target.startsWith('unenv/mock/')))
          return { path: args.path, namespace: 'unenv-required' };
        return { path: resolved.get(args.path) as string, external: external.includes(target) };
      });
      build.onLoad({ filter: /.*/, namespace: 'unenv-required' }, (args) => ({
        contents:
          `import * as esm from ${JSON.stringify(alias[args.path])};\n` +
          "module.exports = Object.entries(esm).filter(([k]) => k !== 'default').reduce(" +
          '(cjs, [k, value]) => Object.defineProperty(cjs, k, { value, enumerable: true }), ' +
          "'default' in esm ? esm.default : {});\n",
        loader: 'js',
        resolveDir: here,
      }));

      // Globals the preset injects (none on recent dates with nodejs_compat), one virtual module
      // per source module, then the polyfills, all ahead of the Worker's code.
      const byModule = new Map<string, Array<{ global: string; exportName: string }>>();
      for (const [global, spec] of Object.entries(inject)) {
        const [module, exportName] = Array.isArray(spec) ? [spec[0], spec[1]] : [spec, 'default'];
        const list = byModule.get(module) ?? [];
        list.push({ global, exportName });
        byModule.set(module, list);
      }
      const virtualPrefix = 'unenv-global:';
      build.initialOptions.inject = [
        ...(build.initialOptions.inject ?? []),
        ...[...byModule.keys()].map((module) => `${virtualPrefix}${module}`),
        ...polyfill.map((module) => require.resolve(module)),
      ];
      build.onResolve({ filter: /^unenv-global:/ }, (args) => ({ path: args.path, namespace: 'unenv-global' }));
      build.onLoad({ filter: /.*/, namespace: 'unenv-global' }, (args) => {
        const module = args.path.slice(virtualPrefix.length);
        const injects = byModule.get(module) ?? [];
        const imports = injects.map((one, i) => `${one.exportName} as g${i}`).join(', ');
        return {
          contents:
            `import { ${imports} } from ${JSON.stringify(module)};\n` +
            injects.map((one, i) => `globalThis.${one.global} = g${i};`).join('\n'),
          loader: 'js',
          resolveDir: here,
        };
      });
    },
  };
}
