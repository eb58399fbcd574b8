import type { Principal } from '../../domain/access/principal.ts';
import type { DashboardRole } from '../../domain/access/roles.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { Dashboard, DashboardMember } from '../../ports/dashboards.ts';
import { auditBy, requireDashboard, requireWorkspace } from '../access.ts';
import type { AppContext } from '../context.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'users' | 'audit' | 'unitOfWork' | 'clock' | 'accessEvents'>;

/** A dashboard with the caller's effective role on it. */
export type DashboardView = Dashboard & { readonly role: DashboardRole };

/** Creates a dashboard in a workspace; the caller becomes its owner. */
export async function createDashboard(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  input: { name: string },
  requestId: string,
): Promise<DashboardView> {
  await requireWorkspace(ctx, principal, workspaceId, 'dashboard.create');
  return ctx.unitOfWork.run(async (tx) => {
    const dashboard = await ctx.dashboards.create({ workspaceId, name: input.name, createdBy: principal.userId }, tx);
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'dashboard.created',
        workspaceId,
        targetType: 'dashboard',
        targetId: dashboard.id,
        details: { name: dashboard.name },
      }),
      tx,
    );
    return { ...dashboard, role: 'owner' as const };
  });
}

/** Dashboards of the workspace the caller may see. */
export async function listDashboards(ctx: Ctx, principal: Principal, workspaceId: string): Promise<Dashboard[]> {
  const role = await requireWorkspace(ctx, principal, workspaceId, 'dashboard.list');
  const all = await ctx.dashboards.listVisible(workspaceId, principal.userId, role === 'admin');
  return principal.dashboardId === undefined ? all : all.filter((d) => d.id === principal.dashboardId);
}

/** One dashboard, if the caller may see it. */
export async function getDashboard(ctx: Ctx, principal: Principal, dashboardId: string): Promise<DashboardView> {
  const { dashboard, relations } = await requireDashboard(ctx, principal, dashboardId, 'dashboard.read');
  return { ...dashboard, role: effectiveRole(relations) };
}

/** Renames (editors) or restores an archived dashboard (owners); an archived dashboard is read-only. */
export async function updateDashboard(
  ctx: Ctx,
  principal: Principal,
  dashboardId: string,
  input: { name?: string; archived?: boolean },
  requestId: string,
): Promise<DashboardView> {
  const restoring = input.archived === false;
  const archiving = input.archived === true;
  const { dashboard, relations } = await requireDashboard(
    ctx,
    principal,
    dashboardId,
    restoring || archiving ? 'dashboard.manage' : 'dashboard.edit',
  );
  if (dashboard.archivedAt !== null && !restoring)
    throw new ConflictError('The dashboard is archived; restore it first (PATCH {"archived": false})');
  const updated = await ctx.unitOfWork.run(async (tx) => {
    const changes = {
      ...(input.name === undefined ? {} : { name: input.name }),
      ...(input.archived === undefined ? {} : { archivedAt: input.archived ? ctx.clock.now() : null }),
    };
    const updated = await ctx.dashboards.update(dashboardId, changes, tx);
    if (updated === undefined) throw new NotFoundError('Dashboard');
    const action = restoring ? 'dashboard.restored' : archiving ? 'dashboard.archived' : 'dashboard.updated';
    // Archiving makes open connections read-only; restoring lets editors write again.
    if (restoring || archiving) await ctx.accessEvents.publish({ kind: 'dashboard', dashboardId }, tx);
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action,
        workspaceId: dashboard.workspaceId,
        targetType: 'dashboard',
        targetId: dashboardId,
        details: { ...(input.name === undefined ? {} : { name: input.name }) },
      }),
      tx,
    );
    return updated;
  });
  return { ...updated, role: effectiveRole(relations) };
}

/** Archives the dashboard (owners and workspace admins): read-only until restored. */
export async function archiveDashboard(
  ctx: Ctx,
  principal: Principal,
  dashboardId: string,
  requestId: string,
): Promise<void> {
  const { dashboard } = await requireDashboard(ctx, principal, dashboardId, 'dashboard.manage');
  if (dashboard.archivedAt !== null) return;
  await updateDashboard(ctx, principal, dashboardId, { archived: true }, requestId);
}

/** The dashboard's members; anyone who can see the dashboard may see them. */
export async function listDashboardMembers(
  ctx: Ctx,
  principal: Principal,
  dashboardId: string,
): Promise<DashboardMember[]> {
  await requireDashboard(ctx, principal, dashboardId, 'dashboard.read');
  return ctx.dashboards.listMembers(dashboardId);
}

/** Gives a workspace member a role on the dashboard (owners and workspace admins). */
export async function setDashboardMember(
  ctx: Ctx,
  principal: Principal,
  dashboardId: string,
  userId: string,
  input: { role: DashboardRole },
  requestId: string,
): Promise<DashboardMember> {
  const { dashboard } = await requireDashboard(ctx, principal, dashboardId, 'dashboard.manage');
  return ctx.unitOfWork.run(async (tx) => {
    const user = await ctx.users.get(userId, tx);
    if (user === undefined || (await ctx.workspaces.roleOf(dashboard.workspaceId, userId, tx)) === null)
      throw new NotFoundError('A member of this workspace with that id');
    const previous = await ctx.dashboards.setMember(dashboardId, userId, input.role, tx);
    if (previous !== input.role) {
      await ctx.audit.record(
        auditBy(principal, requestId, {
          action: previous === null ? 'dashboard.member_added' : 'dashboard.member_role_changed',
          workspaceId: dashboard.workspaceId,
          targetType: 'user',
          targetId: userId,
          details: { dashboardId, role: input.role, previousRole: previous },
        }),
        tx,
      );
      await ctx.accessEvents.publish({ kind: 'user', userId }, tx);
    }
    return { userId, email: user.email, name: user.name, role: input.role };
  });
}

/** Removes someone from the dashboard (owners and workspace admins); their open connections close. */
export async function removeDashboardMember(
  ctx: Ctx,
  principal: Principal,
  dashboardId: string,
  userId: string,
  requestId: string,
): Promise<void> {
  const { dashboard } = await requireDashboard(ctx, principal, dashboardId, 'dashboard.manage');
  await ctx.unitOfWork.run(async (tx) => {
    const previous = await ctx.dashboards.removeMember(dashboardId, userId, tx);
    if (previous === null) throw new NotFoundError('Member');
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'dashboard.member_removed',
        workspaceId: dashboard.workspaceId,
        targetType: 'user',
        targetId: userId,
        details: { dashboardId, previousRole: previous },
      }),
      tx,
    );
    await ctx.accessEvents.publish({ kind: 'user', userId }, tx);
  });
}

function effectiveRole(relations: {
  workspaceRole: string | null;
  dashboard?: { role: DashboardRole | null };
}): DashboardRole {
  return relations.workspaceRole === 'admin' ? 'owner' : (relations.dashboard?.role ?? 'viewer');
}
