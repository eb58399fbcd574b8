import { request as httpRequest } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpServer, type HttpServer } from '../../src/adapters/fastify/http-server.ts';
import { ConsoleFiles } from '../../src/adapters/node-console/console-files.ts';
import { edgeBodyLimit, edgeContext, edgeRoutes } from '../support/http-edge-routes.ts';
import { createLogger } from '../../src/adapters/pino/logger.ts';

// The web console on Node: page navigations get index.html (no-cache, a strict CSP), hashed files
// under /assets/ are immutable, and everything else (the API, a missing file, a path that climbs
// out of the build) stays a JSON 404. A console that is not built is a 503 page; the API still works.
let root: string;
let dist: string;
const page =
  '<!doctype html><html><head><script type="module" ' +
  'src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

async function start(console: ConsoleFiles): Promise<{ server: HttpServer; url: string }> {
  const server = await createHttpServer({
    routes: edgeRoutes,
    logger: createLogger({ level: 'silent', format: 'json' }),
    bodyLimit: edgeBodyLimit,
    context: edgeContext,
    console,
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, url: `http://127.0.0.1:${address.port}` };
}

/** A request with the path exactly as written (fetch would resolve `..` before sending it). */
function rawGet(url: string, path: string): Promise<{ status: number; body: string; type: string | undefined }> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = httpRequest({ host: target.hostname, port: target.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'baton-console-'));
  dist = join(root, 'dist');
  await mkdir(join(dist, 'assets'), { recursive: true });
  await writeFile(join(dist, 'index.html'), page);
  await writeFile(join(dist, 'assets', 'index-abc123.js'), 'console.log("console")');
  await writeFile(join(dist, 'assets', 'index-abc123.css'), 'body{}');
  await writeFile(join(root, 'secret.txt'), 'TOP-SECRET');
  await writeFile(join(dist, 'secret.txt'), 'TOP-SECRET');
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('the console served by the Node server', () => {
  let server: HttpServer;
  let url: string;
  beforeAll(async () => ({ server, url } = await start(new ConsoleFiles(dist))));
  afterAll(async () => server.close());

  it('answers / and any page navigation with index.html, never cached, under a strict CSP', async () => {
    for (const path of [
      '/',
      '/dashboards/7d0f0a4e-1b7c-4d52-9a57-0a3f6a4b2f10',
      '/executions/x?tab=runs',
      '/welcome',
      '/sign-in?returnTo=%2F',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(await res.text()).toBe(page);
      const csp = res.headers.get('content-security-policy') ?? '';
      const directives = new Map(
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values]),
      );
      expect(directives.get('default-src')).toEqual(["'self'"]);
      expect(directives.get('script-src')).toEqual(["'self'"]);
      expect(directives.get('object-src')).toEqual(["'none'"]);
      expect(directives.get('base-uri')).toEqual(["'none'"]);
      expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
      expect(directives.get('connect-src')).toEqual(["'self'", 'ws://edge.test']);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('answers HEAD for a page with the headers and no body', async () => {
    const res = await fetch(`${url}/dashboards/abc`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.text()).toBe('');
  });

  it('serves hashed files as immutable with their content type', async () => {
    const js = await fetch(`${url}/assets/index-abc123.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log("console")');
    const css = await fetch(`${url}/assets/index-abc123.css`, { method: 'HEAD' });
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    // Not the page's policy: a file gets the API's (it needs none of its own).
    expect(css.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it('answers a missing file, the API and file-like paths with JSON 404s, not the page', async () => {
    for (const path of [
      '/assets/index-gone.js',
      '/assets/',
      '/v1/nope',
      '/v1',
      '/auth/nope',
      '/.well-known/nope',
      '/favicon.ico',
      '/secret.txt',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type'), path).toBe('application/json; charset=utf-8');
      expect(((await res.json()) as { error: { code: string } }).error.code, path).toBe('route_not_found');
    }
  });

  it('does not answer other methods with the page', async () => {
    const res = await fetch(`${url}/`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('refuses paths that climb out of the build', async () => {
    for (const path of [
      '/assets/../secret.txt',
      '/assets/../../secret.txt',
      '/assets/..%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/assets/..\\secret.txt',
      '/assets/.%2e/secret.txt',
    ]) {
      const res = await rawGet(url, path);
      expect(res.body, path).not.toContain('TOP-SECRET');
      // Either a 404 (not one of our files) or, where the path resolved outside /assets/, the page.
      expect([404, 200], path).toContain(res.status);
      if (res.status === 200) expect(res.body, path).toBe(page);
    }
  });
});

describe('a console that is not built', () => {
  it('answers navigations with a 503 page that says how to build it, while the API answers', async () => {
    const files = new ConsoleFiles(join(root, 'nowhere'));
    const { server, url } = await start(files);
    try {
      const res = await fetch(`${url}/`);
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await res.text()).toContain('npm run build:web');
      const api = await fetch(`${url}/v1/nope`);
      expect(api.status).toBe(404);
      expect(api.headers.get('content-type')).toBe('application/json; charset=utf-8');

      files.building();
      const building = await fetch(`${url}/`);
      expect(building.status).toBe(503);
      expect(building.headers.get('retry-after')).toBe('5');
      expect(await building.text()).toContain('being built');

      files.failed('vite exited with 1');
      const failed = await fetch(`${url}/`);
      expect(failed.status).toBe(503);
      expect(await failed.text()).toContain('could not be built');
    } finally {
      await server.close();
    }
  });

  it('keeps serving an older build while a new one is built', async () => {
    const files = new ConsoleFiles(dist);
    const { server, url } = await start(files);
    try {
      files.building();
      const res = await fetch(`${url}/`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(page);
    } finally {
      await server.close();
    }
  });
});
