import { describe, expect, it } from 'vitest';
import { wranglerToml } from '../../deploy/cloudflare/build.ts';
import { cloudflareEnv } from '../../deploy/cloudflare/unenv-plugin.ts';
import { wranglerRuntime } from '../../deploy/cloudflare/wrangler-runtime.ts';
import { startWorker } from '../support/workerd.ts';

// The Worker build handles Node's built-ins with unenv's Cloudflare preset, as wrangler does for
// nodejs_compat: what workerd has stays external, what it lacks is polyfilled.
describe('Node built-ins in the Worker bundle (unenv, Cloudflare preset)', () => {
  it(
    'polyfills what an older workerd lacks (node:http, ' + 'the process global) and turns require into imports',
    async () => {
      // 2024-09-23 is the first date of nodejs_compat's second version; workerd had no node:http then.
      const worker = await startWorker({
        entry: 'test/workerd/fixtures/node-builtins-worker.ts',
        compatibilityDate: '2024-09-23',
        compatibilityFlags: ['nodejs_compat'],
      });
      try {
        const res = await worker.fetch('/');
        expect(await res.json()).toEqual({ teapot: "I'm a Teapot", emitter: 'function', process: 'object' });
      } finally {
        await worker.dispose();
      }
    },
  );

  it("needs no polyfill at wrangler.toml's date and flags: workerd provides every built-in natively", async () => {
    const runtime = await wranglerRuntime(wranglerToml);
    expect(runtime.flags).toContain('nodejs_compat');
    const env = cloudflareEnv({ compatibilityDate: runtime.date, compatibilityFlags: runtime.flags });
    expect({ inject: env.inject, polyfill: env.polyfill }).toEqual({ inject: {}, polyfill: [] });
    expect(env.external).toEqual(expect.arrayContaining(['node:http', 'node:net', 'node:crypto', 'node:stream']));
  });
});
