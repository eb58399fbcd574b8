import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import {
  archiveDashboard,
  createDashboard,
  getDashboard,
  listDashboardMembers,
  listDashboards,
  removeDashboardMember,
  setDashboardMember,
  updateDashboard,
} from '../../dashboards/dashboards.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, dashboardMemberSchema, dashboardRole, dashboardSchema, id, name } from './schemas.ts';

const notFound = { 404: { description: 'No such dashboard (or you may not see it)' } } as const;

/** Dashboards: create, read, rename, archive and restore, and their members. */
export function dashboardRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/dashboards',
      operationId: 'createDashboard',
      summary: 'Create a dashboard; you become its owner',
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ wid: id }), body: z.object({ name }) },
      responses: {
        201: { description: 'Created', schema: dashboardSchema },
        ...authErrors,
        404: { description: 'No such workspace' },
      },
      handler: async (request) => ({
        status: 201,
        body: await createDashboard(app, callerOf(request), request.params.wid, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/dashboards',
      operationId: 'listDashboards',
      summary: 'Dashboards of a workspace that you may see',
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'Dashboards, newest first', schema: z.object({ dashboards: z.array(dashboardSchema) }) },
        ...authErrors,
        404: { description: 'No such workspace' },
      },
      handler: async (request) => ({
        status: 200,
        body: { dashboards: await listDashboards(app, callerOf(request), request.params.wid) },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/dashboards/{id}',
      operationId: 'getDashboard',
      summary: 'A dashboard, with your role on it',
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: { 200: { description: 'The dashboard', schema: dashboardSchema }, ...authErrors, ...notFound },
      handler: async (request) => ({
        status: 200,
        body: await getDashboard(app, callerOf(request), request.params.id),
      }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/v1/dashboards/{id}',
      operationId: 'updateDashboard',
      summary: 'Rename (editors), or archive/restore with {"archived": true|false} (owners)',
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'write' },
      request: {
        params: z.object({ id }),
        body: z
          .object({ name: name.optional(), archived: z.boolean().optional() })
          .refine((b) => b.name !== undefined || b.archived !== undefined, 'give name or archived'),
      },
      responses: {
        200: { description: 'The updated dashboard', schema: dashboardSchema },
        ...authErrors,
        ...notFound,
        409: { description: 'The dashboard is archived' },
      },
      handler: async (request) => ({
        status: 200,
        body: await updateDashboard(app, callerOf(request), request.params.id, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/dashboards/{id}',
      operationId: 'archiveDashboard',
      summary: 'Archive a dashboard (owners): read-only until restored',
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }) },
      responses: { 204: { description: 'Archived' }, ...authErrors, ...notFound },
      handler: async (request) => {
        await archiveDashboard(app, callerOf(request), request.params.id, request.requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/dashboards/{id}/members',
      operationId: 'listDashboardMembers',
      summary: 'Members of a dashboard',
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'Members', schema: z.object({ members: z.array(dashboardMemberSchema) }) },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: { members: await listDashboardMembers(app, callerOf(request), request.params.id) },
      }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/v1/dashboards/{id}/members/{userId}',
      operationId: 'setDashboardMember',
      summary: "Set a workspace member's role on the dashboard (owners)",
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id, userId: id }), body: z.object({ role: dashboardRole }) },
      responses: { 200: { description: 'The member', schema: dashboardMemberSchema }, ...authErrors, ...notFound },
      handler: async (request) => ({
        status: 200,
        body: await setDashboardMember(
          app,
          callerOf(request),
          request.params.id,
          request.params.userId,
          request.body,
          request.requestId,
        ),
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/dashboards/{id}/members/{userId}',
      operationId: 'removeDashboardMember',
      summary: 'Remove someone from the dashboard (owners); their open connections close',
      tags: ['dashboards'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id, userId: id }) },
      responses: { 204: { description: 'Removed' }, ...authErrors, ...notFound },
      handler: async (request) => {
        await removeDashboardMember(
          app,
          callerOf(request),
          request.params.id,
          request.params.userId,
          request.requestId,
        );
        return { status: 204 };
      },
    }),
  ];
}
