import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError, UnauthenticatedError } from '../../../src/domain/errors.ts';
import { dispatch, type RawRequest } from '../../../src/app/http/dispatch.ts';
import { buildOpenApiDocument } from '../../../src/app/http/openapi.ts';
import { defineRoute, type AnyRoute } from '../../../src/app/http/route.ts';
import { buildRouteTable } from '../../../src/app/http/routes/index.ts';
import { docsOnlyContext } from '../../support/docs-context.ts';
import type { DispatchContext } from '../../../src/app/http/dispatch.ts';
import { sessionPrincipal } from '../../../src/domain/access/principal.ts';
import { silentLogger } from '../../support/silent-logger.ts';

const anonymous: DispatchContext = { authenticate: async () => null, publicOrigin: 'https://baton.test' };

const widgetRoute = defineRoute({
  method: 'POST',
  path: '/v1/widgets/{id}',
  operationId: 'createWidget',
  summary: 'Create a widget',
  tags: ['widgets'],
  access: { kind: 'public' },
  request: {
    params: z.object({ id: z.uuid() }),
    query: z.object({ dryRun: z.enum(['true', 'false']).optional() }),
    body: z.object({ name: z.string().min(1), size: z.number().int().positive() }),
  },
  responses: { 201: { description: 'Created', schema: z.object({ id: z.string(), name: z.string() }) } },
  handler: async ({ params, body }) => {
    if (body.name === 'taken') throw new ConflictError('A widget with this name exists');
    if (body.name === 'bug') throw new TypeError('oops');
    return { status: 201, body: { id: params.id, name: body.name } };
  },
});

function raw(overrides: Partial<RawRequest>): RawRequest {
  return {
    params: { id: '0b7d8f2c-6f43-4d58-9a43-3a7c3e1d1f10' },
    query: {},
    body: { name: 'a', size: 1 },
    headers: {},
    requestId: 'r1',
    log: silentLogger,
    ...overrides,
  };
}

describe('dispatch', () => {
  it('passes validated input to the handler', async () => {
    expect(await dispatch(widgetRoute as AnyRoute, raw({}), anonymous)).toEqual({
      status: 201,
      body: { id: '0b7d8f2c-6f43-4d58-9a43-3a7c3e1d1f10', name: 'a' },
    });
  });

  it('rejects bad input with a 400 that names every field', async () => {
    const result = await dispatch(
      widgetRoute as AnyRoute,
      raw({ params: { id: 'nope' }, body: { name: '', size: -1 } }),
      anonymous,
    );
    expect(result.status).toBe(400);
    const body = result.body as {
      error: { code: string; message: string; details: { issues: { location: string; path: string }[] } };
    };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.message).toContain('params.id');
    expect(body.error.message).toContain('body.name');
    expect(body.error.message).toContain('body.size');
    expect(body.error.details.issues.map((i) => `${i.location}.${i.path}`)).toEqual([
      'params.id',
      'body.name',
      'body.size',
    ]);
  });

  it('rejects a missing body as a body error, not a crash', async () => {
    const result = await dispatch(widgetRoute as AnyRoute, raw({ body: undefined }), anonymous);
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toContain('body');
  });

  it('maps domain errors to their status at the edge', async () => {
    const result = await dispatch(widgetRoute as AnyRoute, raw({ body: { name: 'taken', size: 1 } }), anonymous);
    expect(result).toEqual({
      status: 409,
      body: { error: { code: 'conflict', message: 'A widget with this name exists' } },
    });
  });

  it('turns a bug into a 500 with the request id, without leaking the error', async () => {
    const result = await dispatch(widgetRoute as AnyRoute, raw({ body: { name: 'bug', size: 1 } }), anonymous);
    expect(result.status).toBe(500);
    expect(JSON.stringify(result.body)).not.toContain('oops');
    expect(result.body).toMatchObject({ error: { code: 'internal_error', details: { requestId: 'r1' } } });
  });
});

describe('dispatch: the text and depth policy, before any schema', () => {
  // A route that takes anything: only the policy stands between the body and the handler.
  const anything = defineRoute({
    method: 'POST',
    path: '/v1/anything/{name}',
    operationId: 'anything',
    summary: 'Anything',
    tags: ['test'],
    access: { kind: 'public' },
    request: { params: z.object({ name: z.string() }), query: z.record(z.string(), z.unknown()), body: z.unknown() },
    responses: { 200: { description: 'Echo' } },
    handler: async ({ body }) => ({ status: 200, body: { got: body } }),
  }) as AnyRoute;
  const send = (overrides: Partial<RawRequest>) =>
    dispatch(anything, raw({ params: { name: 'n' }, ...overrides }), anonymous);
  const issuesOf = (result: { status: number; body?: unknown }) =>
    (result.body as { error: { details: { issues: Array<{ location: string; path: string; message: string }> } } })
      .error.details.issues;

  it('refuses U+0000 and unpaired surrogates in strings and keys at any depth, naming the field', async () => {
    const cases: Array<[Partial<RawRequest>, string]> = [
      [{ body: { title: 'a\u0000b' } }, 'body.title'],
      [{ body: { steps: [{}, {}, {}, { prompt: 'x\ud800' }] } }, 'body.steps.3.prompt'],
      [{ body: { payload: { a: { b: '\udc00y' } } } }, 'body.payload.a.b'],
      [{ body: { payload: { 'k\u0000': 1 } } }, 'body.payload["k\\u0000"]'],
      [{ body: ['\u0000'] }, 'body.0'],
      [{ body: 'lone \ud83d' }, 'body'],
      [{ query: { q: 'a\u0000' } }, 'query.q'],
      [{ params: { name: '\ud800' } }, 'params.name'],
    ];
    for (const [request, field] of cases) {
      const result = await send(request);
      expect({ field, status: result.status }).toEqual({ field, status: 400 });
      const [issue] = issuesOf(result);
      expect(issue?.path === '' ? issue.location : `${issue?.location}.${issue?.path}`).toBe(field);
      expect(issue?.message).toMatch(/U\+0000|unpaired UTF-16 surrogate/);
      expect((result.body as { error: { message: string } }).error.message).toContain(field);
    }
  });

  it('accepts what Postgres can store: paired surrogates, every other code point, U+FFFD', async () => {
    const text = '😀 \ufffd \u0001 \uffff \u2028 \ud800\udc00';
    expect(await send({ body: { [text]: [text] } })).toEqual({ status: 200, body: { got: { [text]: [text] } } });
  });

  it('refuses JSON nested deeper than 64 levels without overflowing the stack, and accepts 64', async () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? { a: deep } : [deep];
    const result = await send({ body: { payload: deep } });
    expect(result.status).toBe(400);
    expect(issuesOf(result)[0]?.message).toBe('nests deeper than 64 levels');
    expect(issuesOf(result)[0]?.path).toMatch(/^payload\.0\.a\.0\.a/);
    let ok: unknown = {};
    for (let i = 1; i < 64; i++) ok = { d: ok };
    expect((await send({ body: ok })).status).toBe(200);
    expect((await send({ body: { d: ok } })).status).toBe(400);
  });

  it('walks a large flat body without recursion or spreading', async () => {
    const result = await send({ body: { list: [...new Array(300_000).fill('x'), 'bad\u0000'] } });
    expect(issuesOf(result).map((i) => i.path)).toEqual(['list.300000']);
  });

  it('replaces instead of refusing on routes that say so (third-party webhooks), keeping the depth limit', async () => {
    const hook = { ...anything, unstorableText: 'replace' } as AnyRoute;
    expect(
      await dispatch(
        hook,
        raw({ params: { name: 'n' }, body: { 'k\u0000': ['a\u0000b', 'x\ud800', '😀'] } }),
        anonymous,
      ),
    ).toEqual({ status: 200, body: { got: { 'k\ufffd': ['a\ufffdb', 'x\ufffd', '😀'] } } });
    let deep: unknown = {};
    for (let i = 0; i < 100; i++) deep = { d: deep };
    expect((await dispatch(hook, raw({ params: { name: 'n' }, body: deep }), anonymous)).status).toBe(400);
    // Path params and the query are refused even there.
    expect((await dispatch(hook, raw({ params: { name: 'n\u0000' }, body: {} }), anonymous)).status).toBe(400);
  });

  it('applies to every route of the real table; only signed third-party input replaces instead', async () => {
    const table = buildRouteTable({ version: 'test', probes: [], app: docsOnlyContext });
    expect(
      table
        .filter((r) => r.unstorableText === 'replace')
        .map((r) => r.operationId)
        .sort(),
    ).toEqual(['receiveGithubHook', 'receiveSandboxEvent', 'receiveWebhook']);
    for (const route of table.filter(
      (r) => r.access.kind === 'public' && r.method === 'POST' && r.unstorableText !== 'replace',
    )) {
      const result = await dispatch(route, raw({ params: { id: 'a\u0000' }, body: { x: 'a\u0000' } }), anonymous);
      expect({ route: route.operationId, status: result.status }).toEqual({ route: route.operationId, status: 400 });
    }
  });
});

describe('OpenAPI generation', () => {
  const doc = buildOpenApiDocument([widgetRoute as AnyRoute], { title: 't', version: '1' }) as {
    openapi: string;
    paths: Record<
      string,
      Record<
        string,
        {
          parameters: { name: string; in: string; required: boolean }[];
          requestBody: { content: Record<string, { schema: { required: string[] } }> };
          responses: Record<string, unknown>;
        }
      >
    >;
  };

  it('describes params, query and body from the validating schemas', () => {
    const op = doc.paths['/v1/widgets/{id}']?.post;
    expect(doc.openapi).toBe('3.1.0');
    expect(op?.parameters).toEqual([
      expect.objectContaining({ name: 'id', in: 'path', required: true }),
      expect.objectContaining({ name: 'dryRun', in: 'query', required: false }),
    ]);
    expect(op?.requestBody.content['application/json']?.schema.required).toEqual(['name', 'size']);
    expect(Object.keys(op?.responses ?? {})).toEqual(['201', 'default']);
  });

  it('is deterministic', () => {
    const again = buildOpenApiDocument([widgetRoute as AnyRoute], { title: 't', version: '1' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(doc));
  });

  it('serves the system routes from the real table', async () => {
    const table = buildRouteTable({ version: '0.0.0', probes: [], app: docsOnlyContext });
    const openapi = table.find((r) => r.path === '/openapi.json');
    const result = await dispatch(openapi as AnyRoute, raw({ params: {}, body: undefined }), anonymous);
    expect(Object.keys((result.body as { paths: object }).paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/openapi.json', '/v1/me', '/v1/tokens']),
    );
  });
});

describe('dispatch: who may call a user route', () => {
  const writeRoute = defineRoute({
    method: 'POST',
    path: '/v1/things',
    operationId: 'createThing',
    summary: 'Create a thing',
    tags: ['things'],
    access: { kind: 'user', scope: 'write' },
    request: { body: z.object({ name: z.string() }) },
    responses: { 201: { description: 'Created' } },
    handler: async ({ auth }) => ({ status: 201, body: { by: auth?.principal.userId } }),
  }) as AnyRoute;
  const request = (headers: Record<string, string>, body: unknown = { name: 'x' }) =>
    raw({ params: {}, headers, body });
  const as = (auth: Awaited<ReturnType<DispatchContext['authenticate']>>): DispatchContext => ({
    authenticate: async () => auth,
    publicOrigin: 'https://baton.test',
  });

  it('refuses anonymous callers with 401 before looking at their input', async () => {
    const result = await dispatch(writeRoute, request({}, 'garbage'), anonymous);
    expect(result).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
  });

  it('refuses a token without the route scope with 403', async () => {
    const result = await dispatch(
      writeRoute,
      request({}),
      as({ principal: { userId: 'u1', via: 'token', tokenId: 't1', scopes: ['read'] } }),
    );
    expect(result).toMatchObject({
      status: 403,
      body: { error: { code: 'forbidden', message: expect.stringContaining('"write"') } },
    });
  });

  it('requires our Origin on cookie-authenticated writes (CSRF), not on token ones', async () => {
    const session = as({ principal: sessionPrincipal('u1'), sessionId: 's1' });
    expect(await dispatch(writeRoute, request({}), session)).toMatchObject({
      status: 403,
      body: { error: { code: 'csrf_failed' } },
    });
    expect(await dispatch(writeRoute, request({ origin: 'https://evil.test' }), session)).toMatchObject({
      status: 403,
    });
    expect(await dispatch(writeRoute, request({ origin: 'https://baton.test' }), session)).toMatchObject({
      status: 201,
      body: { by: 'u1' },
    });
    expect(await dispatch(writeRoute, request({ referer: 'https://baton.test/dashboards/1' }), session)).toMatchObject({
      status: 201,
    });
    const token = as({ principal: { userId: 'u2', via: 'token', tokenId: 't', scopes: ['write'] } });
    expect(await dispatch(writeRoute, request({}), token)).toMatchObject({ status: 201, body: { by: 'u2' } });
  });

  it('turns a bad credential into 401 with its reason', async () => {
    const failing: DispatchContext = {
      authenticate: async () => Promise.reject(new UnauthenticatedError('The API token has expired')),
      publicOrigin: 'https://baton.test',
    };
    expect(await dispatch(writeRoute, request({}), failing)).toMatchObject({
      status: 401,
      body: { error: { message: 'The API token has expired' } },
    });
  });
});
