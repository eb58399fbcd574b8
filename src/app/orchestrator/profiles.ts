import type { Principal } from '../../domain/access/principal.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { subAgentIssues } from '../../domain/orchestrator/sub-agents.ts';
import type { AgentProfile, AgentProfileSpec, AgentProfileVersion } from '../../ports/agent-profiles.ts';
import { hiddenAs, requireWorkspace } from '../access.ts';
import type { AppContext } from '../context.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'agentProfiles'>;

/** Creates an agent profile (version 1); names are unique in a workspace. */
export async function createAgentProfile(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  input: { name: string } & AgentProfileSpec,
): Promise<AgentProfile> {
  await requireWorkspace(ctx, principal, workspaceId, 'recipe.manage');
  const { name, ...spec } = input;
  checkSpec(spec);
  const made = await ctx.agentProfiles.create({ workspaceId, name, spec, createdBy: principal.userId });
  if (made === undefined)
    throw new ConflictError(`There is already an agent profile named "${name}" in this workspace`);
  return made;
}

/** The agent profiles of a workspace. */
export async function listAgentProfiles(ctx: Ctx, principal: Principal, workspaceId: string): Promise<AgentProfile[]> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read');
  return ctx.agentProfiles.list(workspaceId);
}

/** One profile. */
export async function getAgentProfile(ctx: Ctx, principal: Principal, id: string): Promise<AgentProfile> {
  return requireProfile(ctx, principal, id, 'workspace.read');
}

/**
 * Replaces a profile's spec (its name stays: recipes refer to it). A different spec is a new
 * version; executions that started before keep the version they started with.
 */
export async function updateAgentProfile(
  ctx: Ctx,
  principal: Principal,
  id: string,
  spec: AgentProfileSpec,
): Promise<AgentProfile> {
  await requireProfile(ctx, principal, id, 'recipe.manage');
  checkSpec(spec);
  const updated = await ctx.agentProfiles.update(id, spec, principal.userId);
  if (updated === undefined) throw new NotFoundError('Agent profile');
  return updated;
}

/** Every version of a profile, newest first. */
export async function listAgentProfileVersions(
  ctx: Ctx,
  principal: Principal,
  id: string,
): Promise<AgentProfileVersion[]> {
  await requireProfile(ctx, principal, id, 'workspace.read');
  return ctx.agentProfiles.versions(id);
}

/** What the request schema cannot check: unique sub-agent names, sub-agent tools the profile has. */
function checkSpec(spec: AgentProfileSpec): void {
  const issues = subAgentIssues(spec);
  if (issues.length > 0) throw new InvalidInputError(issues);
}

/** Deletes a profile; steps that name it fail with a clear message. */
export async function deleteAgentProfile(ctx: Ctx, principal: Principal, id: string): Promise<void> {
  await requireProfile(ctx, principal, id, 'recipe.manage');
  await ctx.agentProfiles.delete(id);
}

async function requireProfile(
  ctx: Ctx,
  principal: Principal,
  id: string,
  action: 'workspace.read' | 'recipe.manage',
): Promise<AgentProfile> {
  const profile = await ctx.agentProfiles.get(id);
  if (profile === undefined) throw new NotFoundError('Agent profile');
  await hiddenAs('Agent profile', requireWorkspace(ctx, principal, profile.workspaceId, action));
  return profile;
}
