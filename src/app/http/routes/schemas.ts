import { z } from 'zod';
import { dashboardRoles, scopes, workspaceRoles } from '../../../domain/access/roles.ts';

/** Shared request and response schemas of the /v1 API. */
export const id = z.uuid({ error: 'expected a UUID' });
export const timestamp = z.iso.datetime({ offset: true });
export const name = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

export const workspaceRole = z.enum(workspaceRoles);
export const dashboardRole = z.enum(dashboardRoles);
export const scope = z.enum(scopes);

export const userSchema = z
  .object({ id, email: z.string().nullable(), name: z.string().nullable() })
  .meta({ id: 'User' });

export const workspaceSchema = z
  .object({ id, name: z.string(), createdAt: timestamp, role: workspaceRole })
  .meta({ id: 'Workspace' });

export const memberSchema = z
  .object({ userId: id, email: z.string().nullable(), name: z.string().nullable(), role: workspaceRole })
  .meta({ id: 'WorkspaceMember' });

export const dashboardSchema = z
  .object({
    id,
    workspaceId: id,
    name: z.string(),
    createdAt: timestamp,
    updatedAt: timestamp,
    archivedAt: timestamp.nullable(),
    role: dashboardRole.optional(),
  })
  .meta({ id: 'Dashboard' });

export const dashboardMemberSchema = z
  .object({ userId: id, email: z.string().nullable(), name: z.string().nullable(), role: dashboardRole })
  .meta({ id: 'DashboardMember' });

export const tokenSchema = z
  .object({
    id,
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(scope),
    dashboardId: id.nullable(),
    expiresAt: timestamp.nullable(),
    lastUsedAt: timestamp.nullable(),
    createdAt: timestamp,
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: 'ApiToken' });

export const auditEntrySchema = z
  .object({
    id: z.number().int(),
    workspaceId: id.nullable(),
    actorUserId: id.nullable(),
    actorTokenId: id.nullable(),
    action: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    requestId: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'AuditEntry' });

/**
 * The largest value of a Postgres `integer` column (versions, history sequence numbers):
 * larger ones are a 400, not a database error.
 */
export const maxInt32 = 2_147_483_647;

/** `?limit=` for paginated lists. */
export const limit = z.coerce
  .number({ error: 'expected a number' })
  .int('expected a whole number')
  .min(1, 'must be at least 1')
  .max(200, 'must be at most 200')
  .default(50);

/** Common error responses, documented per route. */
export const authErrors = {
  401: { description: 'No, or an invalid, credential' },
  403: { description: 'The credential may not do this (scope, role, CSRF)' },
} as const;
