import type { Transaction } from './unit-of-work.ts';

/**
 * A named role the profile's agent may hand work to (docs/sub-agents.md), like a Claude Code
 * `.claude/agents/<name>.md` file: its own system prompt, tools and model.
 */
export interface SubAgentSpec {
  /** Unique in its profile; lowercase letters, digits and `-`. */
  readonly name: string;
  /** When to use it: what the main agent reads to decide to delegate. */
  readonly description: string;
  /** Its system prompt. */
  readonly prompt: string;
  /** Its tools, a subset of the profile's; absent: the profile's tools. */
  readonly tools?: readonly string[];
  /** Its model; absent: the profile's model. */
  readonly model?: string;
}

/** How an agent runs: its tools, prompt template, model, limits and sub-agents. */
export interface AgentProfileSpec {
  readonly tools: readonly string[];
  /** Wraps a step's prompt; `${prompt}` is where the step's prompt goes. */
  readonly promptTemplate: string;
  readonly model: string;
  readonly policy: { readonly timeoutMs: number | null; readonly maxCostUsd: number | null };
  /** Sub-agents the run may delegate to (absent in profiles stored before they existed: none). */
  readonly subAgents?: readonly SubAgentSpec[];
}

/** An agent profile: a workspace resource that agent steps name. */
export interface AgentProfile extends AgentProfileSpec {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  /** Its current version: 1 when made, one more at each change of its spec. */
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One immutable version of a profile's spec. */
export interface AgentProfileVersion extends AgentProfileSpec {
  readonly profileId: string;
  readonly name: string;
  readonly version: number;
  readonly createdBy: string | null;
  readonly createdAt: Date;
}

/** Agent profiles in a workspace, versioned. */
export interface AgentProfileStore {
  /** Creates a profile (version 1); returns undefined when the name is taken in the workspace. */
  create(profile: {
    workspaceId: string;
    name: string;
    spec: AgentProfileSpec;
    createdBy: string | null;
  }): Promise<AgentProfile | undefined>;
  /**
   * Replaces a profile's spec: a new version when the spec differs from the current one, nothing
   * new when it is the same. Returns the profile or undefined.
   */
  update(id: string, spec: AgentProfileSpec, createdBy: string | null): Promise<AgentProfile | undefined>;
  /** Deletes a profile and its versions; returns whether it existed. */
  delete(id: string): Promise<boolean>;
  get(id: string): Promise<AgentProfile | undefined>;
  /** A profile by name in a workspace. */
  byName(workspaceId: string, name: string, tx?: Transaction): Promise<AgentProfile | undefined>;
  list(workspaceId: string): Promise<AgentProfile[]>;
  /** A profile's versions, newest first. */
  versions(id: string): Promise<AgentProfileVersion[]>;
  /**
   * The version of the workspace's profile `name` that an execution uses: the newest one made
   * before the execution started, or the first one when the profile was made after that.
   * Undefined when there is no such profile (or execution).
   */
  forExecution(executionId: string, workspaceId: string, name: string): Promise<AgentProfileVersion | undefined>;
}
