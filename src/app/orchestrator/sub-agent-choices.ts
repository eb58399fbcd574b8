import { InvalidInputError, type InputIssue } from '../../domain/errors.ts';
import type { AgentProfile } from '../../ports/agent-profiles.ts';
import type { AppContext } from '../context.ts';
import { eachStep } from './recipe-graph.ts';
import type { AuthoredRecipe } from './recipe-schema.ts';

/**
 * Checks, when a recipe is saved, that each agent step's `subAgents` names sub-agents its profile
 * defines now: a 400 naming `steps.<i>.subAgents.<j>`. A step whose profile does not exist yet is
 * left to run time (it fails there with a clear error, as for a profile deleted later).
 */
export async function checkSubAgentChoices(
  ctx: Pick<AppContext, 'agentProfiles'>,
  workspaceId: string,
  recipe: AuthoredRecipe,
): Promise<void> {
  const choices: Array<{ path: string; profile: string; names: readonly string[] }> = [];
  eachStep(recipe.steps, (step, path) => {
    if (step.kind === 'agent' && step.subAgents !== undefined && step.subAgents.length > 0)
      choices.push({ path, profile: step.profile, names: step.subAgents });
  });
  if (choices.length === 0) return;
  const profiles = new Map<string, Promise<AgentProfile | undefined>>();
  const issues: InputIssue[] = [];
  for (const choice of choices) {
    if (!profiles.has(choice.profile))
      profiles.set(choice.profile, ctx.agentProfiles.byName(workspaceId, choice.profile));
    const profile = await profiles.get(choice.profile);
    if (profile === undefined) continue;
    const defined = (profile.subAgents ?? []).map((agent) => agent.name);
    choice.names.forEach((name, j) => {
      if (!defined.includes(name))
        issues.push({
          location: 'body',
          path: `${choice.path}.subAgents.${j}`,
          message:
            `agent profile "${profile.name}" defines no sub-agent "${name}" ` +
            `(it defines ${defined.length === 0 ? 'none' : defined.join(', ')})`,
        });
    });
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
}
