import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { build } from 'esbuild';
import { workerdBundling } from '../../deploy/cloudflare/build.ts';

// The console on Cloudflare: deploy/cloudflare/wrangler.toml's [assets] section as wrangler turns
// it into Miniflare options (run_worker_first, the ASSETS binding, the SPA fallback,
// web/public/_headers), in front of a Worker that serves the console as the Baton Worker does and
// mounts Baton's real route table. A build stands in for web/dist (same layout).
let root: string;
let mf: Miniflare;
let url: URL;
const terminalOrigin = 'wss://terminals.example.net';
const page =
  '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head>' +
  '<body><div id="root"></div></body></html>';

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'baton-assets-'));
  const dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await Promise.all([
    writeFile(join(dist, 'index.html'), page),
    writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("console")'),
    writeFile(join(dist, '.build-hash'), 'abc\n'),
    copyFile('web/public/_headers', join(dist, '_headers')),
    copyFile('web/public/.assetsignore', join(dist, '.assetsignore')),
  ]);
  // Wrangler resolves every binding of the file; this Worker uses none but the assets (no database).
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE ??=
    'postgres://unused:unused@127.0.0.1:9/unused';
  const { workerOptions } = unstable_getMiniflareWorkerOptions('deploy/cloudflare/wrangler.toml', undefined, {
    overrides: { assets: { directory: dist } },
  });
  const bundle = await build({
    entryPoints: ['test/workerd/fixtures/console-worker.ts'],
    write: false,
    ...workerdBundling,
    mainFields: [...workerdBundling.mainFields],
    conditions: [...workerdBundling.conditions],
    external: ['cloudflare:*'],
    logLevel: 'silent',
  });
  const code = bundle.outputFiles[0]?.text ?? '';
  mf = new Miniflare({
    modules: [{ type: 'ESModule', path: 'worker.js', contents: code }],
    compatibilityDate: '2025-09-01',
    ...(workerOptions.assets === undefined ? {} : { assets: workerOptions.assets }),
    // The configuration the console's headers read; the database behind Hyperdrive is never reached.
    bindings: {
      BATON_ENV: 'test',
      BATON_PUBLIC_URL: 'https://baton.example.com',
      BATON_TERMINAL_ORIGINS: terminalOrigin,
    },
    hyperdrives: { HYPERDRIVE: 'postgres://unused:unused@127.0.0.1:9/unused' },
    host: '127.0.0.1',
    port: 0,
  });
  url = await mf.ready;
});
afterAll(async () => {
  await mf?.dispose();
  await rm(root, { recursive: true, force: true });
});

const get = (path: string, init: RequestInit = {}) => fetch(new URL(path, url), init);

describe('the console as Workers static assets', () => {
  it('serves the page at / with the strict CSP', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toBe(page);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it("names the configured terminal origins (BATON_TERMINAL_ORIGINS) in the page's connect-src", async () => {
    for (const path of ['/', '/dashboards/7d0f0a4e-1b7c-4d52-9a57-0a3f6a4b2f10']) {
      const res = await get(path, { headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html' } });
      expect(res.status, path).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      const connect = csp.split(';').find((directive) => directive.trim().startsWith('connect-src'));
      expect(connect?.trim(), path).toBe(`connect-src 'self' wss://baton.example.com ${terminalOrigin}`);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
    }
  });

  it('falls back to the page for navigations to console paths', async () => {
    for (const path of ['/dashboards/7d0f0a4e-1b7c-4d52-9a57-0a3f6a4b2f10', '/welcome', '/executions/x']) {
      const res = await get(path, { headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html' } });
      expect(res.status, path).toBe(200);
      expect(await res.text(), path).toBe(page);
    }
  });

  it('serves a hashed file as immutable JavaScript', async () => {
    const res = await get('/assets/index-abc123.js');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('javascript');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('console.log("console")');
  });

  it('never serves a missing hashed file as script', async () => {
    // Known difference from Node (a JSON 404 there): with run_worker_first as a list, Workers' SPA
    // fallback answers every unmatched path with index.html. As HTML under nosniff, no browser runs it.
    const res = await get('/assets/index-gone.js', {
      headers: { accept: '*/*', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script' },
    });
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('keeps the API in the Worker: JSON, and an unknown /v1 path is a JSON 404', async () => {
    const openapi = await get('/openapi.json');
    expect(openapi.status).toBe(200);
    expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
    const health = await get('/healthz');
    expect(health.headers.get('content-type')).toContain('application/json');
    for (const path of ['/v1/nope', '/auth/nope', '/.well-known/nope']) {
      const res = await get(path, { headers: { 'sec-fetch-mode': 'navigate', accept: 'text/html' } });
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toBe('application/json; charset=utf-8');
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe('route_not_found');
    }
  });

  it('does not publish the build hash or the headers file', async () => {
    for (const path of ['/.build-hash', '/_headers']) {
      const res = await get(path);
      expect(await res.text(), path).not.toMatch(/^abc|Content-Security-Policy/);
    }
  });
});
