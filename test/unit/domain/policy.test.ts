import { describe, expect, it } from 'vitest';
import { authorize, type Action, type Relations } from '../../../src/domain/access/policy.ts';
import { sessionPrincipal, type Principal } from '../../../src/domain/access/principal.ts';
import type { DashboardRole, WorkspaceRole } from '../../../src/domain/access/roles.ts';

const user = sessionPrincipal('u1');
const on = (workspaceRole: WorkspaceRole | null, dashboardRole: DashboardRole | null = null, id = 'd1'): Relations => ({
  workspaceRole,
  dashboard: { id, role: dashboardRole },
});
const verdict = (principal: Principal, action: Action, relations: Relations) => {
  const d = authorize(principal, action, relations);
  return d.allowed ? 'allow' : d.reason;
};

describe('authorize', () => {
  it('hides everything in a workspace one does not belong to', () => {
    for (const action of [
      'workspace.read',
      'workspace.manage_members',
      'dashboard.create',
      'dashboard.read',
      'dashboard.manage',
    ] as const) {
      expect(verdict(user, action, on(null, 'owner'))).toBe('not_found');
    }
  });

  it('lets members read the workspace and create dashboards; only admins manage members and read the audit log', () => {
    expect(verdict(user, 'workspace.read', on('member'))).toBe('allow');
    expect(verdict(user, 'dashboard.create', on('member'))).toBe('allow');
    expect(verdict(user, 'workspace.manage_members', on('member'))).toBe('forbidden');
    expect(verdict(user, 'workspace.read_audit', on('member'))).toBe('forbidden');
    expect(verdict(user, 'workspace.manage_members', on('admin'))).toBe('allow');
  });

  it('grades dashboard roles: viewers read, editors edit, owners manage', () => {
    const table: Array<[DashboardRole, Action, string]> = [
      ['viewer', 'dashboard.read', 'allow'],
      ['viewer', 'dashboard.edit', 'forbidden'],
      ['viewer', 'execution.control', 'forbidden'],
      ['editor', 'dashboard.edit', 'allow'],
      ['editor', 'execution.control', 'allow'],
      ['editor', 'dashboard.manage', 'forbidden'],
      ['owner', 'dashboard.manage', 'allow'],
    ];
    for (const [role, action, expected] of table)
      expect(verdict(user, action, on('member', role)), `${role} ${action}`).toBe(expected);
  });

  it('hides a dashboard from workspace members who are not on it, but not from admins', () => {
    expect(verdict(user, 'dashboard.read', on('member', null))).toBe('not_found');
    expect(verdict(user, 'dashboard.manage', on('admin', null))).toBe('allow');
  });

  it('checks token scopes', () => {
    const reader: Principal = { userId: 'u1', via: 'token', tokenId: 't', scopes: ['read'] };
    expect(verdict(reader, 'dashboard.read', on('member', 'owner'))).toBe('allow');
    expect(verdict(reader, 'dashboard.edit', on('member', 'owner'))).toBe('forbidden');
    expect(verdict(reader, 'workspace.manage_members', on('admin'))).toBe('forbidden');
    expect(verdict({ ...reader, scopes: ['read', 'write'] }, 'execution.control', on('member', 'owner'))).toBe(
      'forbidden',
    );
  });

  it('confines a dashboard-restricted token to its dashboard', () => {
    const sandbox: Principal = {
      userId: 'u1',
      via: 'token',
      tokenId: 't',
      scopes: ['read', 'write', 'control'],
      dashboardId: 'd1',
    };
    expect(verdict(sandbox, 'dashboard.edit', on('member', 'editor', 'd1'))).toBe('allow');
    expect(verdict(sandbox, 'dashboard.read', on('admin', 'owner', 'd2'))).toBe('not_found');
    expect(verdict(sandbox, 'dashboard.create', on('admin'))).toBe('forbidden');
    expect(verdict(sandbox, 'workspace.read', on('admin'))).toBe('forbidden');
  });
});
