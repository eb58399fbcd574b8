import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import {
  createWorkspace,
  listMembers,
  listWorkspaces,
  readAudit,
  removeMember,
  setMember,
} from '../../workspaces/workspaces.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import {
  auditEntrySchema,
  authErrors,
  id,
  limit,
  memberSchema,
  name,
  workspaceRole,
  workspaceSchema,
} from './schemas.ts';

const notFound = { 404: { description: 'No such workspace (or you are not a member)' } } as const;

/** Workspaces (the tenant boundary), their members and their audit log. */
export function workspaceRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces',
      operationId: 'createWorkspace',
      summary: 'Create a workspace; you become its admin',
      tags: ['workspaces'],
      access: { kind: 'user', scope: 'write' },
      request: { body: z.object({ name }) },
      responses: { 201: { description: 'Created', schema: workspaceSchema }, ...authErrors },
      handler: async (request) => {
        const workspace = await createWorkspace(app, callerOf(request), request.body, request.requestId);
        return { status: 201, body: { ...workspace, role: 'admin' } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces',
      operationId: 'listWorkspaces',
      summary: 'The workspaces you belong to, with your role',
      tags: ['workspaces'],
      access: { kind: 'user', scope: 'read' },
      responses: {
        200: { description: 'Your workspaces', schema: z.object({ workspaces: z.array(workspaceSchema) }) },
        ...authErrors,
      },
      handler: async (request) => ({ status: 200, body: { workspaces: await listWorkspaces(app, callerOf(request)) } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/members',
      operationId: 'listWorkspaceMembers',
      summary: 'Members of a workspace',
      tags: ['workspaces'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'Members', schema: z.object({ members: z.array(memberSchema) }) },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: {
          members: (await listMembers(app, callerOf(request), request.params.wid)).map(({ createdAt: _, ...m }) => m),
        },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/members',
      operationId: 'setWorkspaceMember',
      summary: 'Add a member by e-mail, or change their role (admins)',
      tags: ['workspaces'],
      access: { kind: 'user', scope: 'admin' },
      request: {
        params: z.object({ wid: id }),
        body: z.object({ email: z.email({ error: 'expected an e-mail address' }), role: workspaceRole }),
      },
      responses: {
        200: { description: 'The member', schema: memberSchema },
        ...authErrors,
        ...notFound,
        409: { description: 'Would leave the workspace without an admin' },
      },
      handler: async (request) => {
        const { createdAt: _, ...member } = await setMember(
          app,
          callerOf(request),
          request.params.wid,
          request.body,
          request.requestId,
        );
        return { status: 200, body: member };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/workspaces/{wid}/members/{userId}',
      operationId: 'removeWorkspaceMember',
      summary: 'Remove a member from the workspace and its dashboards (admins)',
      tags: ['workspaces'],
      access: { kind: 'user', scope: 'admin' },
      request: { params: z.object({ wid: id, userId: id }) },
      responses: {
        204: { description: 'Removed' },
        ...authErrors,
        ...notFound,
        409: { description: 'Would leave the workspace without an admin' },
      },
      handler: async (request) => {
        await removeMember(app, callerOf(request), request.params.wid, request.params.userId, request.requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/audit',
      operationId: 'listAudit',
      summary: 'The audit log of a workspace, newest first (admins)',
      tags: ['workspaces'],
      access: { kind: 'user', scope: 'admin' },
      request: {
        params: z.object({ wid: id }),
        query: z.object({
          limit,
          before: z.coerce
            .number({ error: 'expected an entry id' })
            .int()
            .positive()
            .optional()
            .describe("Return entries older than this entry id (the previous page's nextBefore)"),
        }),
      },
      responses: {
        200: {
          description: 'A page of entries',
          schema: z.object({ entries: z.array(auditEntrySchema), nextBefore: z.number().int().nullable() }),
        },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: await readAudit(app, callerOf(request), request.params.wid, {
          limit: request.query.limit,
          ...(request.query.before === undefined ? {} : { before: request.query.before }),
        }),
      }),
    }),
  ];
}
