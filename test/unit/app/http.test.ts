import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConflictError } from '../../../src/domain/errors.ts';
import { dispatch, type RawRequest } from '../../../src/app/http/dispatch.ts';
import { buildOpenApiDocument } from '../../../src/app/http/openapi.ts';
import { defineRoute, type AnyRoute } from '../../../src/app/http/route.ts';
import { buildRouteTable } from '../../../src/app/http/routes/index.ts';
import { silentLogger } from '../../support/silent-logger.ts';

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
  return { params: { id: '0b7d8f2c-6f43-4d58-9a43-3a7c3e1d1f10' }, query: {}, body: { name: 'a', size: 1 }, headers: {}, requestId: 'r1', log: silentLogger, ...overrides };
}

describe('dispatch', () => {
  it('passes validated input to the handler', async () => {
    expect(await dispatch(widgetRoute as AnyRoute, raw({}))).toEqual({ status: 201, body: { id: '0b7d8f2c-6f43-4d58-9a43-3a7c3e1d1f10', name: 'a' } });
  });

  it('rejects bad input with a 400 that names every field', async () => {
    const result = await dispatch(widgetRoute as AnyRoute, raw({ params: { id: 'nope' }, body: { name: '', size: -1 } }));
    expect(result.status).toBe(400);
    const body = result.body as { error: { code: string; message: string; details: { issues: { location: string; path: string }[] } } };
    expect(body.error.code).toBe('invalid_input');
    expect(body.error.message).toContain('params.id');
    expect(body.error.message).toContain('body.name');
    expect(body.error.message).toContain('body.size');
    expect(body.error.details.issues.map((i) => `${i.location}.${i.path}`)).toEqual(['params.id', 'body.name', 'body.size']);
  });

  it('rejects a missing body as a body error, not a crash', async () => {
    const result = await dispatch(widgetRoute as AnyRoute, raw({ body: undefined }));
    expect(result.status).toBe(400);
    expect(JSON.stringify(result.body)).toContain('body');
  });

  it('maps domain errors to their status at the edge', async () => {
    const result = await dispatch(widgetRoute as AnyRoute, raw({ body: { name: 'taken', size: 1 } }));
    expect(result).toEqual({ status: 409, body: { error: { code: 'conflict', message: 'A widget with this name exists' } } });
  });

  it('turns a bug into a 500 with the request id, without leaking the error', async () => {
    const result = await dispatch(widgetRoute as AnyRoute, raw({ body: { name: 'bug', size: 1 } }));
    expect(result.status).toBe(500);
    expect(JSON.stringify(result.body)).not.toContain('oops');
    expect(result.body).toMatchObject({ error: { code: 'internal_error', details: { requestId: 'r1' } } });
  });
});

describe('OpenAPI generation', () => {
  const doc = buildOpenApiDocument([widgetRoute as AnyRoute], { title: 't', version: '1' }) as {
    openapi: string;
    paths: Record<string, Record<string, { parameters: { name: string; in: string; required: boolean }[]; requestBody: { content: Record<string, { schema: { required: string[] } }> }; responses: Record<string, unknown> }>>;
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
    const table = buildRouteTable({ version: '0.0.0', probes: [] });
    const openapi = table.find((r) => r.path === '/openapi.json');
    const result = await dispatch(openapi as AnyRoute, raw({ params: {}, body: undefined }));
    expect(Object.keys((result.body as { paths: object }).paths)).toEqual(['/healthz', '/readyz', '/openapi.json']);
  });
});
