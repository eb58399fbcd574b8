import type { Principal } from './principal.ts';
import type { DashboardRole, Scope, WorkspaceRole } from './roles.ts';

/** Everything a principal can ask to do. */
export type Action =
  | 'workspace.read'
  | 'workspace.manage_members'
  | 'workspace.read_audit'
  | 'workspace.manage_integrations'
  | 'dashboard.create'
  | 'dashboard.list'
  | 'dashboard.read'
  | 'dashboard.edit'
  | 'dashboard.manage'
  | 'execution.control'
  | 'recipe.manage';

/** The principal's relations to the resource at hand, looked up by the caller. */
export interface Relations {
  /** The principal's role in the resource's workspace, or null when not a member. */
  readonly workspaceRole: WorkspaceRole | null;
  /** For dashboard actions: the dashboard, and the principal's role on it (null when none). */
  readonly dashboard?: { readonly id: string; readonly role: DashboardRole | null };
}

/** The policy's answer. A denial says whether to hide the resource (`not_found`) or refuse (`forbidden`). */
export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: 'not_found' | 'forbidden'; readonly message: string };

const scopeOf: Readonly<Record<Action, Scope>> = {
  'workspace.read': 'read',
  'workspace.manage_members': 'admin',
  'workspace.read_audit': 'admin',
  'workspace.manage_integrations': 'admin',
  'dashboard.create': 'write',
  'dashboard.list': 'read',
  'dashboard.read': 'read',
  'dashboard.edit': 'write',
  'dashboard.manage': 'write',
  'execution.control': 'control',
  'recipe.manage': 'write',
};

/** Actions on one dashboard: they need the dashboard relation. */
const onOneDashboard: ReadonlySet<Action> = new Set<Action>([
  'dashboard.read',
  'dashboard.edit',
  'dashboard.manage',
  'execution.control',
]);

const allow: Decision = { allowed: true };
const hidden: Decision = { allowed: false, reason: 'not_found', message: 'not found' };
const forbid = (message: string): Decision => ({ allowed: false, reason: 'forbidden', message });

/**
 * The one place that decides every permission. Rules:
 * - Outside the workspace (or a dashboard one cannot see) the resource does not exist: not_found.
 * - A credential lacking the action's scope is forbidden.
 * - A dashboard-restricted token sees only its dashboard (listing shows just that one); everything
 *   else is hidden or forbidden.
 * - Workspace admins may do anything in their workspace; members read and create.
 * - Dashboards are visible to their members and to workspace admins: viewers read, editors edit,
 *   owners also manage (members, archive).
 */
export function authorize(principal: Principal, action: Action, relations: Relations): Decision {
  const { workspaceRole, dashboard } = relations;
  if (workspaceRole === null) return hidden;
  if (onOneDashboard.has(action)) {
    if (dashboard === undefined) throw new Error(`authorize: ${action} needs the dashboard relation`);
    if (principal.dashboardId !== undefined && principal.dashboardId !== dashboard.id) return hidden;
    if (dashboard.role === null && workspaceRole !== 'admin') return hidden;
  } else if (principal.dashboardId !== undefined && action !== 'dashboard.list') {
    return forbid('This token is restricted to one dashboard');
  }
  if (!principal.scopes.includes(scopeOf[action])) return forbid(`This token lacks the "${scopeOf[action]}" scope`);

  const dashboardRole = workspaceRole === 'admin' ? 'owner' : dashboard?.role;
  switch (action) {
    case 'workspace.read':
    case 'dashboard.list':
    case 'dashboard.create':
    case 'recipe.manage':
      return allow;
    case 'workspace.manage_members':
    case 'workspace.read_audit':
    case 'workspace.manage_integrations':
      return workspaceRole === 'admin' ? allow : forbid('Only workspace admins may do this');
    case 'dashboard.read':
      return allow;
    case 'dashboard.edit':
    case 'execution.control':
      return dashboardRole === 'owner' || dashboardRole === 'editor'
        ? allow
        : forbid('Viewers cannot change this dashboard');
    case 'dashboard.manage':
      return dashboardRole === 'owner' ? allow : forbid('Only the dashboard owner or a workspace admin may do this');
  }
}
