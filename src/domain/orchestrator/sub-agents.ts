import type { InputIssue } from '../errors.ts';

/** How large a profile's sub-agents may be (docs/sub-agents.md); a 400 names the field beyond them. */
export const subAgentLimits = {
  /** Sub-agents of one profile. */
  count: 20,
  nameLength: 64,
  descriptionLength: 1_000,
  promptLength: 20_000,
  /** Tools of one sub-agent (a profile may have 100). */
  tools: 100,
  modelLength: 200,
} as const;

/** Sub-agent names: lowercase letters, digits and `-`, starting with a letter (as Claude Code's agent files). */
export const subAgentNamePattern = /^[a-z][a-z0-9-]*$/;

/** A sub-agent as a profile defines it (see `SubAgentSpec` in the agent-profile port). */
export interface SubAgentDefinition {
  readonly name: string;
  readonly description: string;
  readonly prompt: string;
  readonly tools?: readonly string[];
  readonly model?: string;
}

/** A sub-agent as a run gets it: its tools and model resolved against the profile's. */
export interface ResolvedSubAgent {
  readonly name: string;
  readonly description: string;
  readonly prompt: string;
  readonly tools: readonly string[];
  readonly model: string;
}

/**
 * The rules a schema cannot express: names unique in the profile, and tools that the profile
 * itself has (a sub-agent works inside the profile's sandbox and can use no tool the run lacks).
 */
export function subAgentIssues(profile: {
  readonly tools: readonly string[];
  readonly subAgents?: readonly SubAgentDefinition[];
}): InputIssue[] {
  const issues: InputIssue[] = [];
  const seen = new Set<string>();
  const tools = new Set(profile.tools);
  (profile.subAgents ?? []).forEach((agent, i) => {
    if (seen.has(agent.name))
      issues.push({
        location: 'body',
        path: `subAgents.${i}.name`,
        message: `another sub-agent of this profile is named "${agent.name}"`,
      });
    seen.add(agent.name);
    (agent.tools ?? []).forEach((tool, j) => {
      if (!tools.has(tool))
        issues.push({
          location: 'body',
          path: `subAgents.${i}.tools.${j}`,
          message: `"${tool}" is not one of the profile's tools (${profile.tools.join(', ') || 'none'})`,
        });
    });
  });
  return issues;
}

/**
 * The sub-agents a run gets: those `chosen` by the step (all of the profile's when it chose none),
 * with tools and model filled in from the profile. Names the profile does not define are returned
 * as `unknown` (the caller fails the step, naming them).
 */
export function enabledSubAgents(
  profile: {
    readonly tools: readonly string[];
    readonly model: string;
    readonly subAgents?: readonly SubAgentDefinition[];
  },
  chosen: readonly string[] | undefined,
): { readonly subAgents: ResolvedSubAgent[]; readonly unknown: string[] } {
  const defined = profile.subAgents ?? [];
  const byName = new Map(defined.map((agent) => [agent.name, agent]));
  const names = chosen ?? defined.map((agent) => agent.name);
  const unknown = names.filter((name) => !byName.has(name));
  const subAgents = names.flatMap((name) => {
    const agent = byName.get(name);
    return agent === undefined
      ? []
      : [
          {
            name: agent.name,
            description: agent.description,
            prompt: agent.prompt,
            tools: agent.tools ?? profile.tools,
            model: agent.model ?? profile.model,
          },
        ];
  });
  return { subAgents, unknown };
}
