import { z } from 'zod';
import { completeGoogleConnect, googleRedirectPath, startGoogleConnect } from '../../integrations/google-connect.ts';
import type { IntegrationDeps } from '../../integrations/integration-deps.ts';
import { connectGitHub, disconnectIntegration, listIntegrations } from '../../integrations/integrations.ts';
import { DomainError } from '../../../domain/errors.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, timestamp } from './schemas.ts';

const integrationSchema = z
  .object({
    id,
    workspaceId: id,
    provider: z.enum(['github', 'google-drive']),
    status: z
      .enum(['pending', 'connected', 'revoked'])
      .describe('revoked: the service refused the grant; steps using it fail until an admin connects again'),
    name: z.string().describe("The GitHub account's login, or the Google account's e-mail (empty while pending)"),
    externalId: z.string().nullable().describe('The GitHub installation id'),
    details: z
      .record(z.string(), z.unknown())
      .describe('What may be shown: App id, repository selection, permissions, scopes, why it was revoked'),
    createdBy: id.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Integration' });

const pem = z
  .string()
  .max(20_000, 'must be at most 20000 characters')
  .refine(
    (s) => s.includes('-----BEGIN') && s.includes('PRIVATE KEY-----'),
    "expected the App's private key in PEM form (-----BEGIN RSA PRIVATE KEY----- ...)",
  );
const githubBody = z.object({
  appId: z
    .union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]{0,19}$/, 'expected the numeric App id')])
    .transform(String)
    .describe("The GitHub App's id (its settings page)"),
  privateKey: pem.describe('A private key of the App (PEM); stored encrypted, never shown again'),
  webhookSecret: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(1_000)
    .describe(
      "The App's webhook secret: deliveries of this installation " +
        'to /v1/hooks/github are checked with it; stored encrypted',
    ),
  installationId: z
    .number({ error: 'expected the numeric installation id' })
    .int()
    .positive()
    .max(Number.MAX_SAFE_INTEGER)
    .describe('The installation of the App on the account (github.com/settings/installations/<id>)'),
});
const notFound = { 404: { description: 'No such workspace or integration (or you may not see it)' } } as const;
const adminOnly = { 403: { description: 'Only workspace admins manage integrations' } } as const;

/** Connections to GitHub and Google Drive: admins only, audited; secrets are never in an answer. */
export function integrationRoutes(deps: () => IntegrationDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/integrations',
      operationId: 'listIntegrations',
      summary: "A workspace's GitHub and Google Drive connections",
      tags: ['integrations'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'Integrations', schema: z.object({ integrations: z.array(integrationSchema) }) },
        ...authErrors,
        ...adminOnly,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: { integrations: await listIntegrations(deps(), callerOf(request), request.params.wid) },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/integrations/github',
      operationId: 'connectGitHub',
      summary: "Connect an installation of the workspace's GitHub App (checked with GitHub first)",
      tags: ['integrations'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ wid: id }), body: githubBody },
      responses: {
        201: { description: 'Connected', schema: integrationSchema },
        ...authErrors,
        ...adminOnly,
        ...notFound,
        409: { description: 'The installation is connected to a workspace already' },
        502: { description: 'GitHub could not be reached' },
      },
      handler: async (request) => ({
        status: 201,
        body: await connectGitHub(deps(), callerOf(request), request.params.wid, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/integrations/google-drive',
      operationId: 'connectGoogleDrive',
      summary: 'Start connecting Google Drive: open `authorizationUrl`; Google sends you back to the callback',
      tags: ['integrations'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ wid: id }) },
      responses: {
        201: {
          description: 'A pending connection and the consent page to open (valid ten minutes)',
          schema: z.object({ integration: integrationSchema, authorizationUrl: z.string() }),
        },
        ...authErrors,
        ...adminOnly,
        ...notFound,
        503: { description: 'Google Drive is not configured (BATON_GOOGLE_CLIENT_ID)' },
      },
      handler: async (request) => ({
        status: 201,
        body: await startGoogleConnect(deps(), callerOf(request), request.params.wid),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: googleRedirectPath,
      operationId: 'completeGoogleDrive',
      summary: 'Where Google sends the admin back: completes the connection they started',
      tags: ['integrations'],
      // The admin who started it, signed in (the browser's session cookie): a link alone connects nothing.
      access: { kind: 'user', scope: 'admin' },
      request: {
        query: z.object({
          state: z.string().min(1).max(200),
          code: z.string().min(1).max(2_000).optional(),
          error: z.string().max(200).optional(),
        }),
      },
      responses: {
        200: { description: 'Connected', schema: integrationSchema },
        303: {
          description:
            "A browser (Accept: text/html) goes back to the console's integrations " +
            'page, with `connected=google-drive` or `error=<why>` in the query',
        },
        ...authErrors,
        403: { description: 'Someone else started this connection' },
        502: { description: 'Google could not be reached' },
      },
      handler: async (request) => {
        const complete = () => completeGoogleConnect(deps(), callerOf(request), request.query, request.requestId);
        // Google sends the admin's browser here: it goes back to the console with the outcome
        // instead of landing on JSON. Scripts and tests (no text/html) keep the JSON answer.
        if (!(request.headers.accept ?? '').includes('text/html')) return { status: 200, body: await complete() };
        const back = (query: Record<string, string>) => ({
          status: 303,
          headers: {
            location: `/settings/integrations?${new URLSearchParams(query).toString()}`,
            'cache-control': 'no-store',
          },
        });
        try {
          const integration = await complete();
          return back({ workspace: integration.workspaceId, connected: 'google-drive' });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return back({ error: error.message });
        }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/workspaces/{wid}/integrations/{id}',
      operationId: 'disconnectIntegration',
      summary: 'Disconnect: a Drive grant is revoked at Google; stored secrets are deleted',
      tags: ['integrations'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ wid: id, id }) },
      responses: {
        204: { description: 'Disconnected' },
        ...authErrors,
        ...adminOnly,
        ...notFound,
        502: { description: 'Google could not be reached to revoke the grant; nothing changed' },
      },
      handler: async (request) => {
        await disconnectIntegration(
          deps(),
          callerOf(request),
          request.params.wid,
          request.params.id,
          request.requestId,
        );
        return { status: 204 };
      },
    }),
  ];
}
