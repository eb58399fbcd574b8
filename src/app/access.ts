import { authorize, type Action, type Relations } from '../domain/access/policy.ts';
import { sessionPrincipal, type Principal } from '../domain/access/principal.ts';
import { DomainError, ForbiddenError, NotFoundError } from '../domain/errors.ts';
import type { NewAuditEntry } from '../ports/audit-log.ts';
import type { Dashboard } from '../ports/dashboards.ts';
import type { AppContext } from './context.ts';

type Stores = Pick<AppContext, 'workspaces' | 'dashboards'>;

/** Throws the right error for a denial: NotFound hides the resource, Forbidden refuses. */
export function enforce(principal: Principal, action: Action, relations: Relations, what: string): void {
  const decision = authorize(principal, action, relations);
  if (decision.allowed) return;
  if (decision.reason === 'not_found') throw new NotFoundError(what);
  throw new ForbiddenError(decision.message);
}

/** Checks an action on a workspace; returns the principal's role there. */
export async function requireWorkspace(ctx: Stores, principal: Principal, workspaceId: string, action: Action) {
  const role = await ctx.workspaces.roleOf(workspaceId, principal.userId);
  enforce(principal, action, { workspaceRole: role }, 'Workspace');
  return role;
}

/** Loads a dashboard and checks an action on it; hides dashboards the principal may not see. */
export async function requireDashboard(
  ctx: Stores,
  principal: Principal,
  dashboardId: string,
  action: Action,
): Promise<{ dashboard: Dashboard; relations: Relations }> {
  const dashboard = await ctx.dashboards.get(dashboardId);
  if (dashboard === undefined) throw new NotFoundError('Dashboard');
  const [workspaceRole, role] = await Promise.all([
    ctx.workspaces.roleOf(dashboard.workspaceId, principal.userId),
    ctx.dashboards.roleOf(dashboardId, principal.userId),
  ]);
  const relations: Relations = { workspaceRole, dashboard: { id: dashboardId, role } };
  enforce(principal, action, relations, 'Dashboard');
  return { dashboard, relations };
}

/**
 * Runs an access check for a resource that lives in a workspace or dashboard: when the principal may
 * not see the container, they may not learn that the resource exists either (404 naming `what`).
 */
/**
 * Whether a user may still control executions on a dashboard: work that acts as its creator
 * (schedules, triggers) asks at every run. An access refusal comes back as a value; anything else
 * (a database failure) is thrown, so it is retried rather than recorded as a refusal.
 */
export async function controlOf(
  ctx: Stores,
  userId: string,
  dashboardId: string,
): Promise<{ dashboard: Dashboard } | { refusal: DomainError }> {
  try {
    return await requireDashboard(ctx, sessionPrincipal(userId), dashboardId, 'execution.control');
  } catch (error) {
    if (error instanceof DomainError) return { refusal: error };
    throw error;
  }
}

export async function hiddenAs<T>(what: string, check: Promise<T>): Promise<T> {
  try {
    return await check;
  } catch (error) {
    if (error instanceof NotFoundError) throw new NotFoundError(what);
    throw error;
  }
}

/** An audit entry for an action taken by a principal within a request. */
export function auditBy(
  principal: Principal | null,
  requestId: string | null,
  entry: Pick<NewAuditEntry, 'action'> & Partial<NewAuditEntry>,
): NewAuditEntry {
  return {
    workspaceId: null,
    targetType: null,
    targetId: null,
    details: {},
    ...entry,
    actorUserId: principal?.userId ?? entry.actorUserId ?? null,
    actorTokenId: principal?.tokenId ?? null,
    requestId,
  };
}
