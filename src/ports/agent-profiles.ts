import type { Transaction } from './unit-of-work.ts';

/** How an agent runs: its tools, prompt template, model and limits. */
export interface AgentProfileSpec {
  readonly tools: readonly string[];
  /** Wraps a step's prompt; `${prompt}` is where the step's prompt goes. */
  readonly promptTemplate: string;
  readonly model: string;
  readonly policy: { readonly timeoutMs: number | null; readonly maxCostUsd: number | null };
}

/** An agent profile: a workspace resource that agent steps name. */
export interface AgentProfile extends AgentProfileSpec {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** Agent profiles in a workspace. */
export interface AgentProfileStore {
  /** Creates a profile; returns undefined when the name is taken in the workspace. */
  create(profile: { workspaceId: string; name: string; spec: AgentProfileSpec }): Promise<AgentProfile | undefined>;
  /** Replaces a profile's spec; returns the profile or undefined. */
  update(id: string, spec: AgentProfileSpec): Promise<AgentProfile | undefined>;
  /** Deletes a profile; returns whether it existed. */
  delete(id: string): Promise<boolean>;
  get(id: string): Promise<AgentProfile | undefined>;
  /** A profile by name in a workspace. */
  byName(workspaceId: string, name: string, tx?: Transaction): Promise<AgentProfile | undefined>;
  list(workspaceId: string): Promise<AgentProfile[]>;
}
