/**
 * How large a recipe may be, checked when it is saved (a 400 naming the limit and the field). The
 * step limit bounds the work of one event: a chain of steps that end at once (branches, dashboard
 * notes) runs in the event that reached it, and each step builds the scope of every step before it.
 */
export const recipeLimits = {
  /** Steps, counting those inside parallel branches. */
  steps: 500,
  /** Parallel steps inside one another: a parallel step of the main sequence is at depth 1. */
  parallelDepth: 8,
  /** Characters of one expression: a condition, or one `${...}` of a template. */
  expressionLength: 4_096,
  /** Characters of a recipe given as text (YAML or JSON). */
  sourceLength: 256_000,
  /**
   * Milliseconds of any duration (a wait, a timeout, a backoff, the deadline): ten years, so every
   * timer falls on a time a clock can show.
   */
  durationMs: 3_652 * 86_400_000,
} as const;

/** Limits to check a recipe against (the defaults are `recipeLimits`). */
export type RecipeLimits = { readonly [K in keyof typeof recipeLimits]: number };

/**
 * A recipe after validation and compilation: durations in milliseconds, every step in one flat map
 * with explicit successors. The authored form (JSON or YAML) is validated and compiled by
 * `src/app/orchestrator/recipe-schema.ts`; the engine only ever sees this shape.
 */
export interface CompiledRecipe {
  readonly name: string;
  /** Declared inputs with their defaults. */
  readonly inputs: Readonly<Record<string, InputSpec>>;
  /** The first step of the main sequence. */
  readonly start: string;
  readonly steps: Readonly<Record<string, Step>>;
  /** The whole execution must finish within this many ms of its start, or it fails. */
  readonly deadlineMs: number | null;
  /**
   * A template over the finished execution's scope that says what it came to (absent: the last
   * agent step's summary).
   */
  readonly summary?: string | null;
}

/** A declared recipe input. */
export interface InputSpec {
  readonly type: 'string' | 'number' | 'boolean' | 'object' | 'array';
  readonly required: boolean;
  readonly default?: unknown;
}

/** Retries of agent steps: attempt n (1-based) waits min(max, initial * factor^(n-2)) before it starts. */
export interface RetryPolicy {
  /** Attempts in total, including the first; 1 means no retry. */
  readonly maxAttempts: number;
  readonly initialMs: number;
  readonly factor: number;
  readonly maxMs: number;
}

interface StepBase {
  readonly id: string;
  /**
   * The step that follows in the same sequence, or null at the end of it (the end of the recipe,
   * or of a parallel branch).
   */
  readonly next: string | null;
  /** The parallel step whose branch this step belongs to, or null in the main sequence. */
  readonly parent: string | null;
}

/** Runs an agent profile with a prompt in a sandbox. */
export interface AgentStep extends StepBase {
  readonly kind: 'agent';
  /** The agent profile's name (a workspace resource). */
  readonly profile: string;
  /** A `${...}` template over the scope. */
  readonly prompt: string;
  /** Extra inputs for the run; string values are templates. */
  readonly input: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | null;
  readonly retry: RetryPolicy;
  /** A GitHub token the run gets, limited to these repositories and permissions (absent: none). */
  readonly github?: GitHubScope | null;
  /** The profile's sub-agents this step enables, by name (absent: all of them; docs/sub-agents.md). */
  readonly subAgents?: readonly string[];
}

/**
 * What a run may do on GitHub: a token of the workspace's GitHub connection (`integration`, or its
 * only one when null), limited to `repositories` (names in the installation's account; templates)
 * and `permissions` (e.g. `{ contents: 'write' }`), valid while the run lasts.
 */
export interface GitHubScope {
  readonly integration: string | null;
  readonly repositories: readonly string[];
  readonly permissions: Readonly<Record<string, 'read' | 'write'>>;
}

/** Asks humans; succeeds with `{ approved: true, decisions }` once `quorum` approve. */
export interface ApprovalStep extends StepBase {
  readonly kind: 'approval';
  readonly prompt: string;
  /** How many distinct approvals are needed. */
  readonly quorum: number;
  readonly timeoutMs: number | null;
  /** Where a rejection (or a timeout) goes: a step id, or null to fail the execution. */
  readonly onReject: string | null;
}

/** Waits for a duration, until a time, or for an event. */
export interface WaitStep extends StepBase {
  readonly kind: 'wait';
  readonly forMs: number | null;
  /** An expression giving an ISO time or epoch ms. */
  readonly until: string | null;
  /** An event to wait for: its name and an optional filter over `event`. */
  readonly event: { readonly name: string; readonly match: string | null } | null;
  /** With `event`: give up after this long and fail the step. */
  readonly timeoutMs: number | null;
}

/** Chooses the next step: the first case whose condition holds, else `else` (or `next`). */
export interface BranchStep extends StepBase {
  readonly kind: 'branch';
  readonly cases: ReadonlyArray<{ readonly if: string; readonly goto: string }>;
  readonly else: string | null;
}

/** Where a notify step sends its message. */
export type NotifyChannel = 'dashboard' | 'webhook' | 'github' | 'google-drive';

/**
 * Where on an outside service a message goes (templates): a comment on a GitHub issue or pull
 * request, or a document in a Google Drive folder.
 */
export type NotifyTarget =
  | { readonly kind: 'github'; readonly repository: string; readonly issue: string }
  | { readonly kind: 'google-drive'; readonly folder: string; readonly title: string };

/**
 * Sends a message: a note in the dashboard (done at once), or a webhook (signed, through the egress
 * guard: docs/webhooks.md), a GitHub comment or a Google Drive document through the workspace's
 * connection. Those wait for the delivery, retried by `retry`, and fail when it is refused.
 */
export interface NotifyStep extends StepBase {
  readonly kind: 'notify';
  readonly channel: NotifyChannel;
  /** A template. */
  readonly message: string;
  readonly url: string | null;
  /** With the github and google-drive channels (absent in recipes made before they existed). */
  readonly target?: NotifyTarget | null;
  /** The connection to use (an integration id); null: the workspace's only one of that kind. */
  readonly integration?: string | null;
  /** Retries of a delivery through a connection (network failures, the service unavailable). */
  readonly retry?: RetryPolicy;
}

/** Runs branches at once; completes when every branch has reached its end. */
export interface ParallelStep extends StepBase {
  readonly kind: 'parallel';
  /** The first step of each branch. */
  readonly branches: readonly string[];
}

/**
 * Runs another recipe of the same workspace as a child execution and waits for it (docs/orchestrator.md,
 * "Sub-recipes"): succeeds with the child's outcome, fails when the child fails or is cancelled.
 */
export interface RecipeStep extends StepBase {
  readonly kind: 'recipe';
  /** The child recipe as the author named it (an id or a name). */
  readonly recipe: string;
  /** The child recipe's id, resolved in the workspace when the recipe was saved. */
  readonly recipeId: string;
  /** The child's inputs; string values are templates. */
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | null;
  readonly retry: RetryPolicy;
}

/** Sub-recipes inside sub-recipes: a child this many levels below its top execution is the deepest that starts. */
export const maxSubRecipeDepth = 5;

/** Any step. */
export type Step = AgentStep | ApprovalStep | WaitStep | BranchStep | NotifyStep | ParallelStep | RecipeStep;
/** The kinds of step. */
export type StepKind = Step['kind'];
