import { z } from 'zod';
import type { ApiToken } from '../../../ports/api-tokens.ts';
import type { AppContext } from '../../context.ts';
import {
  createApiToken,
  defaultTokenDays,
  listApiTokens,
  maxTokenDays,
  revokeApiToken,
  revokeCurrentToken,
} from '../../identity/tokens.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, name, scope, tokenSchema } from './schemas.ts';

/** API tokens of the caller: create (secret shown once), list, revoke. */
export function tokenRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/tokens',
      operationId: 'createToken',
      summary: 'Create an API token; its secret is in this response only',
      tags: ['tokens'],
      access: { kind: 'user', scope: 'admin' },
      request: {
        body: z.object({
          name,
          scopes: z
            .array(scope)
            .min(1, 'must name at least one scope')
            .refine((s) => new Set(s).size === s.length, 'must not repeat a scope'),
          dashboardId: id.optional().describe('Restrict the token to this dashboard (for sandboxes)'),
          expiresInDays: z
            .number()
            .int()
            .min(1)
            .max(maxTokenDays)
            .optional()
            .describe(`Days until it expires (default ${defaultTokenDays})`),
        }),
      },
      responses: {
        201: {
          description: 'Created',
          schema: tokenSchema.extend({ token: z.string().describe('The secret: shown once, store it now') }),
        },
        ...authErrors,
        404: { description: 'No such dashboard' },
      },
      handler: async (request) => {
        const created = await createApiToken(app, callerOf(request), request.body, request.requestId);
        return { status: 201, body: { ...tokenView(created.token), token: created.secret } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/tokens',
      operationId: 'listTokens',
      summary: 'List your API tokens (never their secrets)',
      tags: ['tokens'],
      access: { kind: 'user', scope: 'admin' },
      responses: {
        200: { description: 'Your tokens, newest first', schema: z.object({ tokens: z.array(tokenSchema) }) },
        ...authErrors,
      },
      handler: async (request) => ({
        status: 200,
        body: { tokens: (await listApiTokens(app, callerOf(request))).map(tokenView) },
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/tokens/{id}',
      operationId: 'revokeToken',
      summary: 'Revoke one of your API tokens',
      tags: ['tokens'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ id }) },
      responses: { 204: { description: 'Revoked' }, ...authErrors, 404: { description: 'No such token of yours' } },
      handler: async (request) => {
        await revokeApiToken(app, callerOf(request), request.params.id, request.requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/me/token',
      operationId: 'revokeCurrentToken',
      summary: 'Revoke the API token this request is made with (sign a CLI out), whatever its scopes',
      tags: ['tokens'],
      access: { kind: 'user', scope: 'read' },
      responses: {
        204: { description: 'Revoked: it answers 401 from now on' },
        ...authErrors,
        409: { description: 'Not made with an API token (a browser session signs out with POST /auth/logout)' },
      },
      handler: async (request) => {
        await revokeCurrentToken(app, callerOf(request), request.requestId);
        return { status: 204 };
      },
    }),
  ];
}

function tokenView(token: ApiToken) {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    scopes: token.scopes,
    dashboardId: token.dashboardId,
    expiresAt: token.expiresAt,
    lastUsedAt: token.lastUsedAt,
    createdAt: token.createdAt,
    revokedAt: token.revokedAt,
  };
}
