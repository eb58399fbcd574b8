import type { Schema } from '../../../client/api.ts';

/**
 * The API's shapes the settings pages read, from the client typed by our OpenAPI document, so a
 * change in the API breaks the console's typecheck instead of a page.
 */

/** A workspace member (GET /v1/workspaces/{wid}/members). */
export type WorkspaceMember = Schema<'WorkspaceMember'>;
/** A workspace role. */
export type WorkspaceRole = WorkspaceMember['role'];
/** A dashboard member (GET /v1/dashboards/{id}/members). */
export type DashboardMember = Schema<'DashboardMember'>;
/** A dashboard role. */
export type DashboardRole = DashboardMember['role'];
/** An API token as listed (never its secret). */
export type ApiToken = Schema<'ApiToken'>;
/** What a token may do. */
export type TokenScope = ApiToken['scopes'][number];
/** One audit log entry. */
export type AuditEntry = Schema<'AuditEntry'>;
/** A connection to GitHub or Google Drive. */
export type Integration = Schema<'Integration'>;

/** The roles, in the order the pickers list them. */
export const workspaceRoles: readonly WorkspaceRole[] = ['admin', 'member'];
/** Dashboard roles, most rights first. */
export const dashboardRoles: readonly DashboardRole[] = ['owner', 'editor', 'viewer'];
/** Token scopes, with what each allows (the API's own description). */
export const tokenScopes: ReadonlyArray<{ readonly scope: TokenScope; readonly help: string }> = [
  { scope: 'read', help: 'see resources' },
  { scope: 'write', help: 'change dashboards and other content' },
  { scope: 'control', help: 'start, pause, approve and cancel executions' },
  { scope: 'admin', help: 'manage members, tokens, integrations; read the audit log' },
];

/** A person as people read it: name, else e-mail, else a short id. */
export function personName(person: {
  readonly name: string | null;
  readonly email: string | null;
  readonly userId: string;
}): string {
  return person.name ?? person.email ?? person.userId.slice(0, 8);
}
