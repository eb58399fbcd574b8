import { z } from 'zod';
import type { DispatchContext } from '../../src/app/http/dispatch.ts';
import { defineRoute, type AnyRoute } from '../../src/app/http/route.ts';
import { NotFoundError, UnauthenticatedError } from '../../src/domain/errors.ts';
import type { Logger } from '../../src/ports/logger.ts';

/** The public origin the edge suite's context trusts for cookie-authenticated writes. */
export const edgeOrigin = 'http://edge.test';

/** Largest body the edge suite's servers accept, in bytes. */
export const edgeBodyLimit = 1024;

/** Bearer token of a caller with every scope; `Bearer bad` is a rejected credential. */
export const edgeToken = 'good';

/**
 * Authenticates the edge suite's callers without a database: `Bearer good` (every scope), the
 * cookie `sid=s1` (a browser session, so writes need our Origin), `Bearer bad` (401), else anonymous.
 * Runtime-neutral so the workerd fixture can use it too.
 */
export const edgeContext: DispatchContext = {
  publicOrigin: edgeOrigin,
  async authenticate(headers) {
    if (headers.authorization === `Bearer ${edgeToken}`)
      return { principal: { userId: 'u1', via: 'token', scopes: ['read', 'write', 'control', 'admin'] } };
    if (headers.authorization !== undefined) throw new UnauthenticatedError('The API token is not valid');
    if (headers.cookie === 'sid=s1')
      return {
        principal: { userId: 'u1', via: 'session', scopes: ['read', 'write', 'control', 'admin'] },
        sessionId: 's1',
      };
    return null;
  },
};

/** A logger that drops everything (no `process`, so it also runs in workerd). */
export const quietLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quietLogger };

/**
 * A small route table that exercises everything an HTTP edge does: path params, an open query
 * (echoed back as the router parsed it), JSON and raw bodies, auth and CSRF, a 204, extra and
 * repeated response headers, domain errors and a handler bug. Each route echoes what it received so
 * the suite sees exactly what the runtime adapter handed to dispatch.
 */
export const edgeRoutes: readonly AnyRoute[] = [
  defineRoute({
    method: 'GET',
    path: '/v1/items/{itemId}',
    operationId: 'edgeGetItem',
    summary: 'Echoes the path param and the query as parsed',
    tags: ['edge'],
    access: { kind: 'public' },
    request: { params: z.object({ itemId: z.string().max(40) }), query: z.looseObject({}) },
    responses: { 200: { description: 'The echo' } },
    handler: async ({ params, query }) => {
      if (params.itemId === 'missing') throw new NotFoundError('Item missing');
      if (params.itemId === 'bug') throw new Error('a bug in the handler');
      return { status: 200, body: { itemId: params.itemId, query } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/items/{itemId}/parts/{partId}',
    operationId: 'edgeGetPart',
    summary: 'Two path params',
    tags: ['edge'],
    access: { kind: 'public' },
    request: { params: z.object({ itemId: z.string(), partId: z.string() }) },
    responses: { 200: { description: 'The echo' } },
    handler: async ({ params }) => ({ status: 200, body: params }),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/items/special',
    operationId: 'edgeGetSpecial',
    summary: 'A static path beside a parametric one: the static one wins',
    tags: ['edge'],
    access: { kind: 'public' },
    responses: { 200: { description: 'Special' } },
    handler: async () => ({ status: 200, body: { special: true } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/items/{itemId}/notes',
    operationId: 'edgeAddNote',
    summary: 'A user route with a JSON body; answers 201 with a Location header',
    tags: ['edge'],
    access: { kind: 'user', scope: 'write' },
    request: { params: z.object({ itemId: z.string() }), body: z.object({ text: z.string().min(1) }) },
    responses: { 201: { description: 'Created' } },
    handler: async ({ params, body, auth }) => ({
      status: 201,
      body: { itemId: params.itemId, text: body.text, userId: auth?.principal.userId },
      headers: { location: `/v1/items/${params.itemId}/notes/1` },
    }),
  }),
  defineRoute({
    method: 'PUT',
    path: '/v1/items/{itemId}',
    operationId: 'edgePutItem',
    summary: 'A body that is optional for the route: echoes what arrived',
    tags: ['edge'],
    access: { kind: 'public' },
    request: { params: z.object({ itemId: z.string() }), body: z.unknown() },
    responses: { 200: { description: 'The echo' } },
    handler: async ({ body, rawBody }) => ({
      status: 200,
      body: { hadBody: body !== undefined, body: body ?? null, rawBody: rawBody ?? null },
    }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/items/{itemId}',
    operationId: 'edgeDeleteItem',
    summary: 'Answers 204 without a body',
    tags: ['edge'],
    access: { kind: 'user', scope: 'write' },
    request: { params: z.object({ itemId: z.string() }) },
    responses: { 204: { description: 'Deleted' } },
    handler: async () => ({ status: 204 }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/hooks/{name}',
    operationId: 'edgeHook',
    summary: 'A signed webhook: echoes the exact bytes received and the parsed body',
    tags: ['edge'],
    access: { kind: 'public' },
    request: { params: z.object({ name: z.string() }), body: z.unknown() },
    responses: { 202: { description: 'Accepted' } },
    handler: async ({ body, rawBody, headers }) => ({
      status: 202,
      body: { rawBody: rawBody ?? null, body: body ?? null, signature: headers['x-signature'] ?? null },
    }),
  }),
  defineRoute({
    method: 'POST',
    path: '/auth/device/token',
    operationId: 'edgeDeviceToken',
    summary: 'A route that takes a form (OAuth device sign-in): echoes the fields as parsed',
    tags: ['edge'],
    access: { kind: 'public' },
    request: { body: z.record(z.string(), z.string()).optional() },
    responses: { 200: { description: 'The fields' } },
    handler: async ({ body, rawBody }) => ({ status: 200, body: { fields: body ?? null, rawBody: rawBody ?? null } }),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/session',
    operationId: 'edgeLogin',
    summary: 'Sets two cookies and answers without a body',
    tags: ['edge'],
    access: { kind: 'public' },
    responses: { 200: { description: 'Cookies set' } },
    handler: async () => ({
      status: 200,
      headers: { 'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Path=/'], 'cache-control': 'no-store' },
    }),
  }),
];
