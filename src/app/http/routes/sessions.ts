import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { receiveSandboxCallback, type SandboxEventDeps } from '../../sessions/sandbox-events.ts';
import { sandboxCallbackSchema } from '../../sessions/sandbox-event-schema.ts';
import { deleteSession, listSessions, openTerminal, type SessionServices } from '../../sessions/sessions.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, timestamp } from './schemas.ts';

/** What the session routes need; absent where only the API's shape is needed. */
export interface SessionRouteDeps extends SessionServices {
  readonly events: SandboxEventDeps;
}

const sessionSchema = z
  .object({
    id,
    dashboardId: id,
    executionId: id.nullable(),
    purpose: z.enum(['execution', 'terminal']),
    status: z.enum(['requested', 'provisioning', 'ready', 'idle', 'stopping', 'ended', 'lost', 'failed']),
    epoch: z.number().int(),
    sandboxId: z.string().nullable(),
    region: z
      .string()
      .nullable()
      .describe(
        "Where the session's sandbox runs, as its provider reported it (a Fly region, `local`); null when unknown",
      ),
    createdAt: timestamp,
    readyAt: timestamp.nullable(),
    lastActiveAt: timestamp,
    endedAt: timestamp.nullable(),
    endedReason: z.string().nullable(),
  })
  .meta({ id: 'Session' });
const jwkSchema = z
  .object({ kid: z.string(), kty: z.string(), alg: z.string(), use: z.string() })
  .passthrough()
  .meta({ id: 'Jwk' });

/** Sessions, terminals, the sandbox callbacks and the keys that verify Baton's tokens. */
export function sessionRoutes(app: AppContext, services: () => SessionRouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/.well-known/jwks.json',
      operationId: 'getJwks',
      summary: 'The public keys that verify tokens Baton signs (terminal attach); rotated',
      tags: ['sessions'],
      access: { kind: 'public' },
      responses: { 200: { description: 'A JSON Web Key Set', schema: z.object({ keys: z.array(jwkSchema) }) } },
      handler: async () => ({
        status: 200,
        body: await services().signer.jwks(),
        headers: { 'cache-control': 'public, max-age=300' },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/sandbox-events',
      operationId: 'receiveSandboxEvent',
      summary: 'A signed callback from a sandbox: one event or a batch (see api/sandbox.openapi.yaml)',
      tags: ['sessions'],
      // Not a user route: the HMAC signature with the session's secret says who is asking.
      access: { kind: 'public' },
      // An agent's output may hold anything; a refused callback is dropped by the sandbox, so its
      // run could never report how it ended: text Postgres cannot store becomes U+FFFD instead.
      unstorableText: 'replace',
      request: { body: sandboxCallbackSchema },
      responses: {
        204: { description: 'Accepted (or a duplicate, ignored)' },
        400: { description: 'The body does not parse; the error names the field' },
        401: { description: 'Unknown session, bad signature, or a timestamp outside the five-minute window' },
        410: { description: 'The sandbox was replaced (an earlier epoch) or its session ended: stop sending' },
      },
      handler: async (request) => {
        await receiveSandboxCallback(services().events, request.body, request.rawBody ?? '', request.headers);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/dashboards/{id}/terminals',
      operationId: 'openTerminal',
      summary: "Opens a terminal on the dashboard's sandbox (created on demand): where to attach, and a token for it",
      tags: ['sessions'],
      access: { kind: 'user', scope: 'control' },
      request: { params: z.object({ id }) },
      responses: {
        201: {
          description: 'Attach there with the token (a JWT, audience the sandbox, at most five minutes)',
          schema: z.object({ session: sessionSchema, attachUrl: z.string(), token: z.string(), expiresAt: timestamp }),
        },
        ...authErrors,
        404: { description: 'No such dashboard (or you may not see it)' },
        429: { description: 'The workspace runs as many sandboxes as it may' },
        503: { description: 'No sandbox could be created now' },
      },
      handler: async (request) => ({
        status: 201,
        body: await openTerminal(app, services(), callerOf(request), request.params.id, request.requestId),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/dashboards/{id}/sessions',
      operationId: 'listSessions',
      summary: "The dashboard's sessions (its executions' sandboxes and its terminal), newest first",
      tags: ['sessions'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'Sessions', schema: z.object({ sessions: z.array(sessionSchema) }) },
        ...authErrors,
        404: { description: 'No such dashboard (or you may not see it)' },
      },
      handler: async (request) => ({
        status: 200,
        body: { sessions: await listSessions(app, services(), callerOf(request), request.params.id) },
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/sessions/{id}',
      operationId: 'deleteSession',
      summary: "Stops the session's sandbox; a step running there moves to a new sandbox",
      tags: ['sessions'],
      access: { kind: 'user', scope: 'control' },
      request: { params: z.object({ id }) },
      responses: {
        204: { description: 'Stopped (or already ended)' },
        ...authErrors,
        404: { description: 'No such session (or you may not see it)' },
      },
      handler: async (request) => {
        await deleteSession(app, services(), callerOf(request), request.params.id, request.requestId);
        return { status: 204 };
      },
    }),
  ];
}
