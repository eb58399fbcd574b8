import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { rotateWebhookSigningSecret, webhookSigningSecretInfo } from '../../webhooks/signing-secret.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, timestamp } from './schemas.ts';

const adminOnly = { 403: { description: 'Only workspace admins manage the webhook signing secret' } } as const;

/** The secret outbound webhooks are signed with (docs/webhooks.md): admins only, shown once. */
export function webhookRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/webhook-signing-secret',
      operationId: 'getWebhookSigningSecret',
      summary: 'Whether the workspace has a webhook signing secret, and since when (never the secret)',
      tags: ['webhooks'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'It has one', schema: z.object({ createdAt: timestamp }) },
        ...authErrors,
        ...adminOnly,
        404: { description: 'No such workspace (or you may not see it), or it has no secret yet' },
      },
      handler: async (request) => ({
        status: 200,
        body: await webhookSigningSecretInfo(app, callerOf(request), request.params.wid),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/webhook-signing-secret',
      operationId: 'rotateWebhookSigningSecret',
      summary:
        'Make a new webhook signing secret (it replaces the old ' +
        'one at once); this answer is the only one that shows it',
      tags: ['webhooks'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ wid: id }) },
      responses: {
        201: {
          description: 'The new secret: give it to your receivers',
          schema: z.object({
            secret: z.string().describe('HMAC-SHA256 key of X-Baton-Signature-256 (docs/webhooks.md)'),
            createdAt: timestamp,
          }),
        },
        ...authErrors,
        ...adminOnly,
        404: { description: 'No such workspace (or you may not see it)' },
      },
      handler: async (request) => ({
        status: 201,
        body: await rotateWebhookSigningSecret(app, callerOf(request), request.params.wid, request.requestId),
      }),
    }),
  ];
}
