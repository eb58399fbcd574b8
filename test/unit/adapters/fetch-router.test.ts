import { describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../../src/adapters/fetch/fetch-router.ts';
import { defineRoute } from '../../../src/app/http/route.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { buildRouteTable } from '../../../src/app/http/routes/index.ts';
import { docsOnlyContext } from '../../support/docs-context.ts';
import { edgeBodyLimit, edgeContext, edgeRoutes, edgeToken, quietLogger } from '../../support/http-edge-routes.ts';
import { describeHttpEdge } from '../../support/suites/http-edge-suite.ts';

// The fetch router called in-process with Web `Request`s, as the Worker's fetch handler calls it.
describeHttpEdge('fetch router in Node', async () => {
  const handle = createFetchHandler({
    routes: edgeRoutes,
    context: edgeContext,
    bodyLimit: edgeBodyLimit,
    logger: quietLogger,
  });
  return {
    request: (path, init) => handle(new Request(`http://edge.test${path}`, init)),
    close: async () => {},
  };
});

describe('fetch router: what only an in-process caller can provoke', () => {
  const lines: Array<Record<string, unknown>> = [];
  const capture = (bindings: Record<string, unknown>): Logger => {
    const write = (obj: object, msg?: string) => void lines.push({ ...bindings, ...obj, msg });
    return { debug: write, info: write, warn: write, error: write, child: (more) => capture({ ...bindings, ...more }) };
  };
  const badHeader = defineRoute({
    method: 'GET',
    path: '/v1/bad-header',
    operationId: 'badHeader',
    summary: 'A route bug: a header value no HTTP message can carry',
    tags: ['edge'],
    access: { kind: 'public' },
    responses: { 200: { description: 'never' } },
    handler: async () => ({ status: 200, headers: { 'x-broken': 'a\nb' }, body: {} }),
  });
  const handle = createFetchHandler({
    routes: [...edgeRoutes, badHeader],
    context: edgeContext,
    bodyLimit: edgeBodyLimit,
    logger: capture({}),
  });

  it('answers a body stream that breaks off with 400 bad_request', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'));
      },
    });
    const res = await handle(
      new Request('http://edge.test/v1/items/a1', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
        duplex: 'half',
      } as RequestInit),
    );
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'bad_request', message: 'The request body could not be read' } });
  });

  it('answers a route bug in its headers with the uniform 500, still naming the request id', async () => {
    const res = await handle(
      new Request('http://edge.test/v1/bad-header', { headers: { 'x-request-id': 'trace-hdr' } }),
    );
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('trace-hdr');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('internal_error');
    expect(lines.some((l) => l.requestId === 'trace-hdr' && l.msg === 'unhandled error')).toBe(true);
  });

  it('logs each request at its start and end with its request id, as the Node server does', async () => {
    await handle(new Request('http://edge.test/v1/items/a1?x=1', { headers: { 'x-request-id': 'trace-log' } }));
    const mine = lines.filter((l) => l.requestId === 'trace-log');
    expect(mine.map((l) => l.msg)).toEqual(['incoming request', 'request completed']);
    expect(mine[0]).toMatchObject({ req: { method: 'GET', url: '/v1/items/a1?x=1' } });
    expect(mine[1]).toMatchObject({ res: { statusCode: 200 } });
  });
});

// The Worker's edge runs the same policy as Node's: through the real route table, before any handler.
describe('fetch router: the text and depth policy on the real route table', () => {
  const routes = buildRouteTable({ version: 'test', probes: [], app: docsOnlyContext });
  const handle = createFetchHandler({ routes, context: edgeContext, bodyLimit: 1_048_576, logger: quietLogger });
  const id = '0b7d8f2c-6f43-4d58-9a43-3a7c3e1d1f10';
  const post = async (path: string, body: string) => {
    const res = await handle(
      new Request(`http://edge.test${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${edgeToken}`, 'content-type': 'application/json' },
        body,
      }),
    );
    return {
      status: res.status,
      body: (await res.json()) as {
        error: {
          code: string;
          message: string;
          details?: { issues: Array<{ location: string; path: string; message: string }> };
        };
      },
    };
  };
  const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;

  it('refuses U+0000 and lone surrogates (escaped in JSON) with 400 naming the field', async () => {
    const cases: Array<[string, string, string]> = [
      [`/v1/dashboards/${id}/items`, JSON.stringify({ kind: 'note', title: 'a\u0000b' }), 'title'],
      [`/v1/workspaces/${id}/dashboards`, JSON.stringify({ name: 'x\ud800' }), 'name'],
      [
        `/v1/executions/${id}/events`,
        JSON.stringify({ name: 'go', payload: { a: { '\udfff': 1 } } }),
        'payload.a["\\udfff"]',
      ],
      [
        `/v1/workspaces/${id}/agent-profiles`,
        JSON.stringify({ name: 'p', model: 'm', tools: ['ok', 'no\u0000'] }),
        'tools.1',
      ],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body);
      expect({ path, status: res.status, code: res.body.error.code }).toEqual({
        path,
        status: 400,
        code: 'invalid_input',
      });
      expect(res.body.error.details?.issues[0]).toMatchObject({ location: 'body', path: field });
      expect(res.body.error.message).toContain(`body.${field}`);
    }
  });

  it(
    'refuses a payload nested 5,000 deep with 400 naming the ' +
      'limit, and reads a large flat body without overflowing',
    async () => {
      const res = await post(`/v1/executions/${id}/events`, `{"name":"go","payload":${deep(5_000)}}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('nests deeper than 64 levels');
      // 300,000 elements: the prototype-poisoning scan once spread them into one call's arguments.
      const flat = await post(
        `/v1/executions/${id}/events`,
        JSON.stringify({ name: 'go', payload: new Array(300_000).fill(0), bad: 'x\u0000' }),
      );
      expect(flat.status).toBe(400);
      expect(flat.body.error.details?.issues[0]?.path).toBe('bad');
    },
  );
});
