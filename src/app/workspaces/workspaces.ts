import type { Principal } from '../../domain/access/principal.ts';
import type { WorkspaceRole } from '../../domain/access/roles.ts';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors.ts';
import type { AuditEntry } from '../../ports/audit-log.ts';
import { pendingIssuer } from '../../ports/users.ts';
import type { Workspace, WorkspaceMember } from '../../ports/workspaces.ts';
import { auditBy, requireWorkspace } from '../access.ts';
import type { AppContext } from '../context.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'users' | 'audit' | 'unitOfWork' | 'accessEvents'>;

/** Creates a workspace; the caller becomes its first admin. */
export async function createWorkspace(
  ctx: Ctx,
  principal: Principal,
  input: { name: string },
  requestId: string,
): Promise<Workspace> {
  if (principal.dashboardId !== undefined)
    throw new ForbiddenError('A token restricted to a dashboard cannot create workspaces');
  return ctx.unitOfWork.run(async (tx) => {
    const workspace = await ctx.workspaces.create({ name: input.name, createdBy: principal.userId }, tx);
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'workspace.created',
        workspaceId: workspace.id,
        targetType: 'workspace',
        targetId: workspace.id,
        details: { name: workspace.name },
      }),
      tx,
    );
    return workspace;
  });
}

/** The caller's workspaces with their role (a dashboard-restricted token sees only its dashboard's). */
export async function listWorkspaces(
  ctx: Ctx,
  principal: Principal,
): Promise<Array<Workspace & { role: WorkspaceRole }>> {
  const all = await ctx.workspaces.listForUser(principal.userId);
  if (principal.dashboardId === undefined) return all;
  const dashboard = await ctx.dashboards.get(principal.dashboardId);
  return all.filter((w) => w.id === dashboard?.workspaceId);
}

/** The workspace's members; any member may see them. */
export async function listMembers(ctx: Ctx, principal: Principal, workspaceId: string): Promise<WorkspaceMember[]> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read');
  return ctx.workspaces.listMembers(workspaceId);
}

/**
 * Adds a member by e-mail or changes their role (admins only). Someone who has never signed in is
 * added as a pending user, claimed when they first sign in with that verified e-mail.
 */
export async function setMember(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  input: { email: string; role: WorkspaceRole },
  requestId: string,
): Promise<WorkspaceMember> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.manage_members');
  const email = input.email.trim().toLowerCase();
  return ctx.unitOfWork.run(async (tx) => {
    const user =
      (await ctx.users.findByEmail(email, tx)) ??
      (await ctx.users.upsertIdentity({ issuer: pendingIssuer, subject: email, email, name: null }, tx));
    const current = await ctx.workspaces.roleOf(workspaceId, user.id, tx);
    if (current === 'admin' && input.role !== 'admin' && (await ctx.workspaces.countAdmins(workspaceId, tx)) <= 1) {
      throw new ConflictError('A workspace needs at least one admin');
    }
    const previous = await ctx.workspaces.setMember(workspaceId, user.id, input.role, tx);
    if (previous !== input.role) {
      await ctx.audit.record(
        auditBy(principal, requestId, {
          action: previous === null ? 'member.added' : 'member.role_changed',
          workspaceId,
          targetType: 'user',
          targetId: user.id,
          details: { email, role: input.role, previousRole: previous },
        }),
        tx,
      );
      await ctx.accessEvents.publish({ kind: 'user', userId: user.id }, tx);
    }
    return { userId: user.id, email: user.email, name: user.name, role: input.role, createdAt: user.createdAt };
  });
}

/** Removes a member (admins only); they also leave every dashboard of the workspace. */
export async function removeMember(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  userId: string,
  requestId: string,
): Promise<void> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.manage_members');
  await ctx.unitOfWork.run(async (tx) => {
    const role = await ctx.workspaces.roleOf(workspaceId, userId, tx);
    if (role === null) throw new NotFoundError('Member');
    if (role === 'admin' && (await ctx.workspaces.countAdmins(workspaceId, tx)) <= 1)
      throw new ConflictError('A workspace needs at least one admin');
    await ctx.workspaces.removeMember(workspaceId, userId, tx);
    await ctx.dashboards.removeMemberFromWorkspace(workspaceId, userId, tx);
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'member.removed',
        workspaceId,
        targetType: 'user',
        targetId: userId,
        details: { previousRole: role },
      }),
      tx,
    );
    await ctx.accessEvents.publish({ kind: 'user', userId }, tx);
  });
}

/** A page of the workspace's audit log, newest first (admins only). */
export async function readAudit(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  page: { limit: number; before?: number },
): Promise<{ entries: AuditEntry[]; nextBefore: number | null }> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read_audit');
  const entries = await ctx.audit.list(workspaceId, page);
  return { entries, nextBefore: entries.length === page.limit ? (entries.at(-1)?.id ?? null) : null };
}
