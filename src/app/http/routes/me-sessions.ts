import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { endMySession, endMySessions, listMySessions } from '../../identity/browser-sessions.ts';
import { cookieNames, setCookie } from '../../identity/cookies.ts';
import { defineRoute, type AnyRoute, type RouteRequest } from '../route.ts';
import { authErrors, id, timestamp } from './schemas.ts';

const sessionSchema = z
  .object({
    id,
    createdAt: timestamp,
    lastSeenAt: timestamp.describe('Last request made with it (recorded at most once a minute)'),
    expiresAt: timestamp.describe('When it ends unless used again (idle expiry, or the absolute one if sooner)'),
    userAgent: z.string().nullable().describe('The browser that signed in (its User-Agent, shortened)'),
    current: z.boolean().describe('Whether this request came with it'),
  })
  .meta({ id: 'BrowserSession' });

/** A person's own browser sessions: list them, end one, end all (or all but this one). */
export function meSessionRoutes(app: AppContext): AnyRoute[] {
  const cookies = cookieNames(app.settings.publicUrl);
  // Ending the session the request came with also tells the browser to drop its cookie.
  const clearCookie = {
    'set-cookie': setCookie(cookies.session, '', { path: '/', maxAge: 0, secure: cookies.secure }),
  };
  const authOf = (request: RouteRequest<unknown, unknown, unknown>) => {
    if (request.auth === null) throw new Error('a user route without a caller');
    return request.auth;
  };
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/me/sessions',
      operationId: 'listMySessions',
      summary: 'Your browser sessions still in force (never their secrets), most recently used first',
      tags: ['auth'],
      access: { kind: 'user', scope: 'admin' },
      responses: {
        200: {
          description: 'Your sessions; `current` marks the one this request came with',
          schema: z.object({ sessions: z.array(sessionSchema) }),
        },
        ...authErrors,
      },
      handler: async (request) => ({ status: 200, body: { sessions: await listMySessions(app, authOf(request)) } }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/me/sessions/{id}',
      operationId: 'endMySession',
      summary: 'End one of your browser sessions (it is signed out, its live connections closed)',
      tags: ['auth'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ id }) },
      responses: {
        204: { description: "Ended (the cookie is cleared when it was this request's session)" },
        ...authErrors,
        404: { description: 'No session of yours in force with this id' },
      },
      handler: async (request) => {
        const { endedCurrent } = await endMySession(app, authOf(request), request.params.id, request.requestId);
        return { status: 204, ...(endedCurrent ? { headers: clearCookie } : {}) };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/me/sessions',
      operationId: 'endMySessions',
      summary: 'Sign out everywhere: end all your browser sessions, or all but this one with keepCurrent=true',
      tags: ['auth'],
      access: { kind: 'user', scope: 'admin' },
      request: {
        query: z.object({
          keepCurrent: z.enum(['true', 'false']).default('false').describe('Keep the session this request came with'),
        }),
      },
      responses: {
        200: { description: 'How many sessions ended', schema: z.object({ ended: z.number().int() }) },
        ...authErrors,
      },
      handler: async (request) => {
        const result = await endMySessions(
          app,
          authOf(request),
          { keepCurrent: request.query.keepCurrent === 'true' },
          request.requestId,
        );
        return { status: 200, body: { ended: result.ended }, ...(result.endedCurrent ? { headers: clearCookie } : {}) };
      },
    }),
  ];
}
