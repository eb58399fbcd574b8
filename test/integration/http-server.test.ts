import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createHttpServer, type HttpServer } from '../../src/adapters/fastify/http-server.ts';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { createDatabase, databaseProbe, type Database } from '../../src/adapters/postgres/database.ts';
import { migrationsProbe } from '../../src/adapters/postgres/migrator.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { docsOnlyContext } from '../support/docs-context.ts';
import { buildOpenApiDocument } from '../../src/app/http/openapi.ts';
import { defineRoute, type AnyRoute } from '../../src/app/http/route.ts';
import { buildRouteTable } from '../../src/app/http/routes/index.ts';
import { startNode, type NodeApp } from '../../src/main/node.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { captureLogs } from '../support/log-capture.ts';
import { silentLogger } from '../support/silent-logger.ts';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database.drop());

describe('the Node app (composition root, real Postgres and pg-boss)', () => {
  let app: NodeApp;
  const logs = captureLogs();

  beforeAll(async () => {
    const port = await freePort();
    const config = resolveConfig({
      BATON_ENV: 'test',
      DATABASE_URL: database.url,
      PORT: String(port),
      BATON_DEV_IDP: 'false',
    });
    app = await startNode(config, createLogger({ level: 'info', format: 'json', destination: logs.stream }));
  });
  afterAll(async () => app.close());

  it('answers /healthz', async () => {
    const res = await fetch(`${app.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with every check passing', async () => {
    const res = await fetch(`${app.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, migrations: { ok: true }, queue: { ok: true }, documents: { ok: true } },
    });
  });

  it('serves the OpenAPI document generated from the route table', async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/openapi.json']));
    const table = buildRouteTable({
      version: (doc as unknown as { info: { version: string } }).info.version,
      probes: [],
      app: docsOnlyContext,
    });
    expect(doc).toEqual(
      buildOpenApiDocument(table, {
        title: 'Baton',
        version: (doc as unknown as { info: { version: string } }).info.version,
        description: 'The control plane of a terminal-first, multiplayer agentic coding platform.',
      }),
    );
  });

  it('puts a request id on the response and on every log line of the request', async () => {
    const res = await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'trace-abc-123' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc-123');
    const lines = logs.lines().filter((l) => l.requestId === 'trace-abc-123');
    expect(lines.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(lines[0]).toMatchObject({ req: { method: 'GET', url: '/healthz' } });

    const generated = (
      await fetch(`${app.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces and {braces}' } })
    ).headers.get('x-request-id');
    expect(generated).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes JSON log lines outside development', () => {
    expect(logs.lines().some((l) => l.msg === 'incoming request')).toBe(true);
  });
});

describe('the fastify adapter', () => {
  let server: HttpServer;
  let url: string;
  const echo = defineRoute({
    method: 'POST',
    path: '/v1/echo/{name}',
    operationId: 'echo',
    summary: 'Echo',
    tags: ['test'],
    access: { kind: 'public' },
    request: { params: z.object({ name: z.string().max(5) }), body: z.object({ text: z.string() }) },
    responses: { 200: { description: 'ok' } },
    handler: async ({ params, body }) => ({ status: 200, body: { name: params.name, text: body.text } }),
  });

  beforeAll(async () => {
    server = await createHttpServer({
      routes: [echo as AnyRoute],
      logger: createLogger({ level: 'silent', format: 'json' }),
      bodyLimit: 1024,
      context: { authenticate: async () => null, publicOrigin: 'http://127.0.0.1' },
    });
    url = await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => server.close());

  async function post(path: string, body: string, contentType = 'application/json') {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': contentType }, body });
    return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
  }

  it('routes path params and JSON bodies to the table', async () => {
    expect(await post('/v1/echo/ann', '{"text":"hi"}')).toEqual({ status: 200, body: { name: 'ann', text: 'hi' } });
  });

  it('answers bad input with 4xx and the uniform error body, never 500', async () => {
    const cases: Array<[string, string, string, number, string]> = [
      ['/v1/echo/ann', '{"text":', 'application/json', 400, 'invalid_json'],
      // An empty JSON body counts as no body: the route's schema then names the missing body.
      ['/v1/echo/ann', '', 'application/json', 400, 'invalid_input'],
      ['/v1/echo/ann', JSON.stringify({ text: 'x'.repeat(2000) }), 'application/json', 413, 'payload_too_large'],
      ['/v1/echo/ann', 'text=hi', 'application/x-www-form-urlencoded', 415, 'unsupported_media_type'],
      ['/v1/echo/ann', 'hi', 'text/plain', 415, 'unsupported_media_type'],
      ['/v1/echo/ann', '{"__proto__":{"x":1},"text":"a"}', 'application/json', 400, 'invalid_json'],
      ['/v1/echo/toolongname', '{"text":"hi"}', 'application/json', 400, 'invalid_input'],
      ['/v1/echo/ann', '{"text":5}', 'application/json', 400, 'invalid_input'],
      ['/v1/nothing-here', '{}', 'application/json', 404, 'route_not_found'],
      ['/v1/echo/%E0%A4%A', '{"text":"hi"}', 'application/json', 400, 'bad_request'],
    ];
    for (const [path, body, type, status, code] of cases) {
      const res = await post(path, body, type);
      expect({ path, body: body.slice(0, 20), type, status: res.status, code: res.body.error?.code }).toEqual({
        path,
        body: body.slice(0, 20),
        type,
        status,
        code,
      });
      expect(res.body.error?.message.length).toBeGreaterThan(0);
    }
  });

  it('names the offending field in validation errors', async () => {
    const res = await post('/v1/echo/ann', '{"text":5}');
    expect(res.body.error?.message).toContain('body.text');
  });
});

describe('/readyz when a dependency is down', () => {
  let db: Database;
  let empty: TestDatabase;
  let emptyDb: Database;
  let server: HttpServer;
  let url: string;

  beforeAll(async () => {
    empty = await createTestDatabase({ empty: true });
    emptyDb = createDatabase({ url: empty.url, poolMax: 1, logger: silentLogger });
    db = createDatabase({ url: 'postgres://nobody:x@127.0.0.1:1/x', poolMax: 1, logger: silentLogger });
    const routes = buildRouteTable({
      version: '0',
      probes: [
        databaseProbe(db),
        migrationsProbe(emptyDb),
        { name: 'queue', check: async () => ({ ok: false, reason: 'the job queue is not running' }) },
      ],
      app: docsOnlyContext,
    });
    server = await createHttpServer({
      routes,
      logger: createLogger({ level: 'silent', format: 'json' }),
      bodyLimit: 1024,
      context: { authenticate: async () => null, publicOrigin: 'http://127.0.0.1' },
    });
    url = await server.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await server.close();
    await db.destroy();
    await emptyDb.destroy();
    await empty.drop();
  });

  it('answers 503 naming each failed dependency and why', async () => {
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as {
      error: { code: string; message: string; details: { checks: Record<string, { ok: boolean; reason?: string }> } };
    };
    expect(body.error.code).toBe('not_ready');
    expect(body.error.message).toMatch(/database: .*ECONNREFUSED/);
    expect(body.error.message).toContain('migrations: pending migrations: 0001_installation');
    expect(body.error.message).toContain('queue: the job queue is not running');
  });
});
