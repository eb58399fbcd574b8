/** A member's role in a workspace: admins manage members, audit and every dashboard. */
export const workspaceRoles = ['admin', 'member'] as const;
export type WorkspaceRole = (typeof workspaceRoles)[number];

/** A member's role on one dashboard. */
export const dashboardRoles = ['owner', 'editor', 'viewer'] as const;
export type DashboardRole = (typeof dashboardRoles)[number];

/**
 * What an API token may do. A browser session has every scope.
 * - read: see resources
 * - write: change dashboards and other content
 * - control: start, pause, approve and cancel executions
 * - admin: manage members, tokens, integrations; read the audit log
 */
export const scopes = ['read', 'write', 'control', 'admin'] as const;
export type Scope = (typeof scopes)[number];
