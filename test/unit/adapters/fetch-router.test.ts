import { describe, expect, it } from 'vitest';
import { createFetchHandler } from '../../../src/adapters/fetch/fetch-router.ts';
import { defineRoute } from '../../../src/app/http/route.ts';
import type { Logger } from '../../../src/ports/logger.ts';
import { edgeBodyLimit, edgeContext, edgeRoutes, quietLogger } from '../../support/http-edge-routes.ts';
import { describeHttpEdge } from '../../support/suites/http-edge-suite.ts';

// The fetch router called in-process with Web `Request`s, as the Worker's fetch handler calls it.
describeHttpEdge('fetch router in Node', async () => {
  const handle = createFetchHandler({ routes: edgeRoutes, context: edgeContext, bodyLimit: edgeBodyLimit, logger: quietLogger });
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
  const handle = createFetchHandler({ routes: [...edgeRoutes, badHeader], context: edgeContext, bodyLimit: edgeBodyLimit, logger: capture({}) });

  it('answers a body stream that breaks off with 400 bad_request', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'));
      },
    });
    const res = await handle(new Request('http://edge.test/v1/items/a1', { method: 'PUT', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'bad_request', message: 'The request body could not be read' } });
  });

  it('answers a route bug in its headers with the uniform 500, still naming the request id', async () => {
    const res = await handle(new Request('http://edge.test/v1/bad-header', { headers: { 'x-request-id': 'trace-hdr' } }));
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
