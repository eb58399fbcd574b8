import type { GitHubScope } from '../domain/orchestrator/recipe.ts';
import type { ResolvedSubAgent } from '../domain/orchestrator/sub-agents.ts';

/** One attempt of an agent step, as Baton asks a sandbox to run it. */
export interface RunRequest {
  /** `<execution>/<step>/<attempt>`: a repeated key must never start a second run. */
  readonly key: string;
  readonly executionId: string;
  /** Where the execution lives (so the runner need not look it up). */
  readonly workspaceId?: string;
  readonly dashboardId?: string;
  readonly stepId: string;
  readonly attempt: number;
  /** The profile as the execution uses it: `version` is the one current when the execution started. */
  readonly profile: {
    readonly name: string;
    readonly model: string;
    readonly tools: readonly string[];
    readonly version?: number;
  };
  /** The sub-agents the step enables, resolved against the profile (absent or empty: none; docs/sub-agents.md). */
  readonly subAgents?: readonly ResolvedSubAgent[];
  readonly prompt: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | null;
  /** The profile's cost limit: a run that reports more is cancelled and fails. Null: no limit. */
  readonly maxCostUsd?: number | null;
  /** A GitHub token the run gets, limited to these repositories and permissions. */
  readonly github?: GitHubScope;
}

/** What became of a run. */
export type RunResult =
  | { readonly key: string; readonly outcome: 'succeeded'; readonly output: unknown }
  | { readonly key: string; readonly outcome: 'failed'; readonly error: string; readonly retryable: boolean }
  /** The sandbox running it went away: the step moves to a new attempt on a new sandbox. */
  | { readonly key: string; readonly outcome: 'lost'; readonly reason: string };

/**
 * Runs agent steps in sandboxes (the sandbox issue brings the full contract; this is the part the
 * orchestrator needs). Results come back through the handler given to `onResult`.
 */
export interface AgentRunner {
  /** Starts the run unless one with this key exists (idempotent). */
  start(run: RunRequest): Promise<void>;
  /** Cancels the run with this key, if it still runs (idempotent). */
  cancel(key: string): Promise<void>;
  /** Where results go; set once by the composition root. */
  onResult(handler: (result: RunResult) => Promise<void>): void;
}
