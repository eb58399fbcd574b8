import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { cookieNames, readCookie, setCookie } from '../../identity/cookies.ts';
import { finishLogin, loginTimeoutSeconds, logout, startLogin } from '../../identity/login.ts';
import { listWorkspaces } from '../../workspaces/workspaces.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, scope, userSchema, workspaceSchema } from './schemas.ts';

/** Login (OIDC authorization code + PKCE), logout, and who am I. */
export function authRoutes(app: AppContext): AnyRoute[] {
  // `__Host-` names over https; both cookies use Path=/ (the prefix requires it).
  const { session: sessionCookie, login: loginCookie, secure } = cookieNames(app.settings.publicUrl);
  const sessionMaxAge = app.settings.sessionMaxDays * 86_400;
  return [
    defineRoute({
      method: 'GET',
      path: '/auth/login',
      operationId: 'login',
      summary: 'Start signing in: redirects to the identity provider',
      tags: ['auth'],
      access: { kind: 'public' },
      request: {
        query: z.object({
          returnTo: z.string().max(2000).optional().describe('A path on this site to return to after login'),
        }),
      },
      responses: {
        302: { description: 'Redirect to the identity provider' },
        400: { description: 'returnTo is not a path on this site' },
        503: { description: 'Login is not configured' },
      },
      handler: async ({ query }) => {
        const started = await startLogin(app, query);
        return {
          status: 302,
          headers: {
            location: started.redirectTo,
            'set-cookie': setCookie(loginCookie, started.state, { path: '/', maxAge: loginTimeoutSeconds, secure }),
            'cache-control': 'no-store',
          },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/auth/callback',
      operationId: 'loginCallback',
      summary: 'Finish signing in (the identity provider redirects here)',
      tags: ['auth'],
      access: { kind: 'public' },
      request: { query: z.record(z.string(), z.string()) },
      responses: {
        302: { description: 'Signed in; redirect to returnTo with the session cookie set' },
        400: { description: 'The login failed (state, code or ID token invalid)' },
      },
      handler: async ({ query, headers, requestId }) => {
        const finished = await finishLogin(app, {
          query,
          browserState: readCookie(headers.cookie, loginCookie),
          previousSessionSecret: readCookie(headers.cookie, sessionCookie),
          requestId,
          ...(headers['user-agent'] === undefined ? {} : { userAgent: headers['user-agent'] }),
        });
        return {
          status: 302,
          headers: {
            location: finished.returnTo,
            'cache-control': 'no-store',
            'set-cookie': [
              setCookie(sessionCookie, finished.sessionSecret, { path: '/', maxAge: sessionMaxAge, secure }),
              setCookie(loginCookie, '', { path: '/', maxAge: 0, secure }),
            ],
          },
        };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/auth/logout',
      operationId: 'logout',
      summary: 'Sign out: revokes the browser session',
      tags: ['auth'],
      access: { kind: 'user', scope: 'read' },
      responses: { 204: { description: 'Signed out' }, ...authErrors },
      handler: async ({ auth, requestId }) => {
        if (auth?.sessionId !== undefined)
          await logout(app, { sessionId: auth.sessionId, userId: auth.principal.userId, requestId });
        return {
          status: 204,
          headers: { 'set-cookie': setCookie(sessionCookie, '', { path: '/', maxAge: 0, secure }) },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/me',
      operationId: 'getMe',
      summary: 'The caller: user, how they authenticated, and their workspaces',
      tags: ['auth'],
      access: { kind: 'user', scope: 'read' },
      responses: {
        200: {
          description: 'The caller',
          schema: z.object({
            user: userSchema,
            authentication: z.object({
              via: z.enum(['session', 'token']),
              scopes: z.array(scope),
              tokenId: z.string().optional(),
              dashboardId: z.string().optional(),
            }),
            workspaces: z.array(workspaceSchema),
          }),
        },
        ...authErrors,
      },
      handler: async (request) => {
        const principal = callerOf(request);
        const user = await app.users.get(principal.userId);
        const workspaces = await listWorkspaces(app, principal);
        return {
          status: 200,
          body: {
            user: { id: principal.userId, email: user?.email ?? null, name: user?.name ?? null },
            authentication: {
              via: principal.via,
              scopes: principal.scopes,
              ...(principal.tokenId === undefined ? {} : { tokenId: principal.tokenId }),
              ...(principal.dashboardId === undefined ? {} : { dashboardId: principal.dashboardId }),
            },
            workspaces,
          },
        };
      },
    }),
  ];
}
