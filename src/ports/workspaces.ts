import type { WorkspaceRole } from '../domain/access/roles.ts';
import type { Transaction } from './unit-of-work.ts';

/** A tenant: members, dashboards and everything else belong to exactly one workspace. */
export interface Workspace {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

/** A member of a workspace, with the user's display fields. */
export interface WorkspaceMember {
  readonly userId: string;
  readonly email: string | null;
  readonly name: string | null;
  readonly role: WorkspaceRole;
  readonly createdAt: Date;
}

/** Workspaces and their members, in Postgres. */
export interface WorkspaceStore {
  /** Creates a workspace with its creator as the first admin. */
  create(workspace: { name: string; createdBy: string }, tx?: Transaction): Promise<Workspace>;
  /** The workspace, or undefined. */
  get(id: string, tx?: Transaction): Promise<Workspace | undefined>;
  /** The first workspace with this exact name that the user belongs to, or undefined. */
  findByNameForUser(name: string, userId: string, tx?: Transaction): Promise<Workspace | undefined>;
  /** The workspaces the user belongs to, with the user's role, oldest first. */
  listForUser(userId: string): Promise<Array<Workspace & { role: WorkspaceRole }>>;
  /** The user's role in the workspace, or null when not a member (or no such workspace). */
  roleOf(workspaceId: string, userId: string, tx?: Transaction): Promise<WorkspaceRole | null>;
  /** Members, oldest first. */
  listMembers(workspaceId: string): Promise<WorkspaceMember[]>;
  /** Adds the user or changes their role; returns the previous role (null when new). */
  setMember(workspaceId: string, userId: string, role: WorkspaceRole, tx?: Transaction): Promise<WorkspaceRole | null>;
  /** Removes the user; returns the role they had, or null when they were not a member. */
  removeMember(workspaceId: string, userId: string, tx?: Transaction): Promise<WorkspaceRole | null>;
  /** How many admins the workspace has. */
  countAdmins(workspaceId: string, tx?: Transaction): Promise<number>;
}
