import type { DashboardRole } from '../domain/access/roles.ts';
import type { Transaction } from './unit-of-work.ts';

/** A dashboard's record (its live document is stored separately). */
export interface Dashboard {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Set while archived: read-only, restorable. */
  readonly archivedAt: Date | null;
}

/** A dashboard member with the user's display fields. */
export interface DashboardMember {
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly role: DashboardRole;
}

/** Dashboards and their members, in Postgres. */
export interface DashboardStore {
  /** Creates a dashboard with its creator as owner. */
  create(dashboard: { workspaceId: string; name: string; createdBy: string }, tx?: Transaction): Promise<Dashboard>;
  /** The dashboard, or undefined. */
  get(id: string, tx?: Transaction): Promise<Dashboard | undefined>;
  /** Dashboards of the workspace the user may see (member of, or all for workspace admins), newest first. */
  listVisible(workspaceId: string, userId: string, includeAll: boolean): Promise<Dashboard[]>;
  /** Changes fields; returns the updated dashboard or undefined. */
  update(
    id: string,
    changes: { name?: string; archivedAt?: Date | null },
    tx?: Transaction,
  ): Promise<Dashboard | undefined>;
  /** The user's role on the dashboard, or null. */
  roleOf(dashboardId: string, userId: string, tx?: Transaction): Promise<DashboardRole | null>;
  /** Members of the dashboard. */
  listMembers(dashboardId: string): Promise<DashboardMember[]>;
  /** Adds the user or changes their role; returns the previous role (null when new). */
  setMember(dashboardId: string, userId: string, role: DashboardRole, tx?: Transaction): Promise<DashboardRole | null>;
  /** Removes the user from the dashboard; returns the role they had or null. */
  removeMember(dashboardId: string, userId: string, tx?: Transaction): Promise<DashboardRole | null>;
  /** Removes the user from every dashboard of the workspace (when they leave it). */
  removeMemberFromWorkspace(workspaceId: string, userId: string, tx?: Transaction): Promise<void>;
}
