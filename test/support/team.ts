import { createDashboard, setDashboardMember } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { setMember } from '../../src/app/workspaces/workspaces.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import type { TestApp } from './test-app.ts';

/** A person with an API token (all scopes). */
export interface Member {
  readonly secret: string;
  readonly userId: string;
}

/** An owner, an editor and a viewer of one dashboard in one workspace, each with a token. */
export interface Team {
  readonly owner: Member;
  readonly editor: Member;
  readonly viewer: Member;
  readonly workspaceId: string;
  readonly dashboardId: string;
}

/**
 * Makes a workspace `name` whose admin (`owner@example.com`) owns a dashboard `Runs`, with
 * `editor@example.com` and `viewer@example.com` as workspace members in those dashboard roles.
 */
export async function createTeam(baton: TestApp, name: string): Promise<Team> {
  const made = await bootstrapToken(baton.ctx, { email: 'owner@example.com', workspaceName: name });
  const owner = { secret: made.secret, userId: made.user.id };
  const workspaceId = made.workspace?.id ?? '';
  const dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(owner.userId), workspaceId, { name: 'Runs' }, 'setup')
  ).id;
  const person = async (role: 'editor' | 'viewer'): Promise<Member> => {
    const made = await bootstrapToken(baton.ctx, { email: `${role}@example.com` });
    await setMember(
      baton.ctx,
      sessionPrincipal(owner.userId),
      workspaceId,
      { email: `${role}@example.com`, role: 'member' },
      'setup',
    );
    await setDashboardMember(baton.ctx, sessionPrincipal(owner.userId), dashboardId, made.user.id, { role }, 'setup');
    return { secret: made.secret, userId: made.user.id };
  };
  const editor = await person('editor');
  const viewer = await person('viewer');
  return { owner, editor, viewer, workspaceId, dashboardId };
}
