import type { CompiledRecipe, GitHubScope, NotifyChannel, NotifyTarget } from './recipe.ts';

/** Where an execution is. `waiting` means only humans, timers or events can move it on. */
export type ExecutionStatus = 'running' | 'waiting' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

/** The statuses an execution ends in: nothing happens to it after these. */
export const finishedStatuses: readonly ExecutionStatus[] = ['succeeded', 'failed', 'cancelled'];

/** True when an execution in this status has ended. */
export const isFinishedStatus = (status: string): boolean => (finishedStatuses as readonly string[]).includes(status);

/**
 * Whether the execution goes on and its step still runs this attempt: work keyed by an attempt (a run,
 * a delivery) is done only then, as a superseded attempt's result would be thrown away.
 */
export const runsAttempt = (state: ExecutionState, stepId: string, attempt: number): boolean => {
  if (isFinishedStatus(state.status)) return false;
  const step = state.steps[stepId];
  return step?.status === 'running' && step.attempt === attempt;
};

/** Where a step is. */
export type StepStatus =
  'pending' | 'scheduled' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** One human decision on an approval step. */
export interface Decision {
  readonly userId: string;
  readonly approved: boolean;
  readonly comment: string | null;
  readonly at: number;
}

/** The state of one step. */
export interface StepState {
  readonly status: StepStatus;
  /**
   * The latest attempt, counted over the whole execution (a step a loop revisits keeps counting), so
   * that `<execution>/<step>/<attempt>` never repeats; 0 before the first.
   */
  readonly attempt: number;
  /** Attempts in the current visit of the step (what the retry policy limits). */
  readonly tries: number;
  /** Attempts whose sandbox was lost (they do not count as tries, up to a limit). Absent: 0. */
  readonly losses?: number;
  /** How many times the step has been entered. */
  readonly visit: number;
  /** Parallel steps: how many branches have reached their end in this visit. */
  readonly branchesEnded: number;
  /** The input the step ran (or will run) with, after templates; an edit replaces it. */
  readonly input: Readonly<Record<string, unknown>> | null;
  /** True when a human edited the input before the step started. */
  readonly inputEdited: boolean;
  readonly output: unknown;
  readonly error: string | null;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  /** Approval steps: decisions so far. */
  readonly decisions: readonly Decision[];
  /** For wait/approval/timeout/retry timers: the timer this step currently listens to, or null. */
  readonly timer: string | null;
  /** Recipe steps: the child execution of the current attempt, once it has started (absent: none yet). */
  readonly childExecutionId?: string | null;
}

/** The execution a child was started by, and where in it (docs/orchestrator.md, "Sub-recipes"). */
export interface ParentLink {
  readonly executionId: string;
  readonly stepId: string;
  readonly attempt: number;
  /** How far below its top execution the child is: 1 for a child of an execution nobody's child. */
  readonly depth: number;
}

/** The version of a child recipe a recipe step runs, pinned when the parent started. */
export interface PinnedRecipe {
  readonly recipeId: string;
  readonly version: number;
}

/** Why a parent's change reached a child (its pause, resume or cancel, or a step's timeout). */
export interface ParentCause {
  readonly executionId: string;
  readonly stepId: string;
}

/** The whole state of an execution: what `decide` folds the history into. */
export interface ExecutionState {
  readonly id: string;
  readonly recipeId: string;
  readonly recipeVersion: number;
  readonly status: ExecutionStatus;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly steps: Readonly<Record<string, StepState>>;
  /** Steps that are in progress or ready to start, in the order they became so. */
  readonly active: readonly string[];
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly deadlineAt: number | null;
  /** Why it failed or was cancelled. */
  readonly reason: string | null;
  /** Number of history events applied. */
  readonly version: number;
  /** A child execution: its parent (absent or null: nobody's child). */
  readonly parent?: ParentLink | null;
  /** Recipe steps: the child recipe versions pinned at the start, by step id (absent: none). */
  readonly pinned?: Readonly<Record<string, PinnedRecipe>>;
}

/** Who did something: a person (user id) or the system. */
export type Actor = { readonly kind: 'user'; readonly userId: string } | { readonly kind: 'system' };

/**
 * What happened to an execution: the history. Every event carries the time the shell stamped on it
 * (`at`, epoch ms); the decider never reads a clock. Replaying the history through `decide` from
 * `initialState` rebuilds the stored state exactly.
 */
export type ExecutionEvent = { readonly at: number; readonly actor: Actor } & (
  | {
      readonly type: 'execution.started';
      readonly inputs: Readonly<Record<string, unknown>>;
      readonly parent?: ParentLink;
      readonly pinned?: Readonly<Record<string, PinnedRecipe>>;
    }
  | { readonly type: 'run.started'; readonly stepId: string; readonly attempt: number }
  | { readonly type: 'step.completed'; readonly stepId: string; readonly attempt: number; readonly output: unknown }
  | {
      readonly type: 'step.failed';
      readonly stepId: string;
      readonly attempt: number;
      readonly error: string;
      readonly retryable: boolean;
    }
  | { readonly type: 'step.lost'; readonly stepId: string; readonly attempt: number; readonly reason: string }
  | { readonly type: 'timer.fired'; readonly timer: string }
  | {
      readonly type: 'approval.decided';
      readonly stepId: string;
      readonly approved: boolean;
      readonly comment: string | null;
    }
  | { readonly type: 'execution.paused'; readonly cause?: ParentCause }
  | { readonly type: 'execution.resumed'; readonly cause?: ParentCause }
  | { readonly type: 'execution.cancelled'; readonly reason: string | null; readonly cause?: ParentCause }
  | {
      readonly type: 'child.started';
      readonly stepId: string;
      readonly attempt: number;
      readonly childExecutionId: string;
    }
  | { readonly type: 'step.retried'; readonly stepId: string }
  | { readonly type: 'step.skipped'; readonly stepId: string; readonly output: unknown }
  | { readonly type: 'step.input_edited'; readonly stepId: string; readonly input: Readonly<Record<string, unknown>> }
  | { readonly type: 'execution.moved'; readonly recipeVersion: number }
  | { readonly type: 'event.received'; readonly name: string; readonly payload: unknown }
);

/** An event type. */
export type ExecutionEventType = ExecutionEvent['type'];

/**
 * What the shell must do after an event, in the same transaction as the new state. Every command
 * is idempotent: dispatches carry `key` = `<execution>/<step>/<attempt>`, timers a stable id.
 */
export type Command =
  | {
      readonly kind: 'dispatch';
      readonly key: string;
      readonly stepId: string;
      readonly attempt: number;
      readonly profile: string;
      readonly prompt: string;
      readonly input: Readonly<Record<string, unknown>>;
      readonly timeoutMs: number | null;
      readonly github?: GitHubScope;
      readonly subAgents?: readonly string[];
    }
  | { readonly kind: 'cancel_run'; readonly key: string; readonly stepId: string }
  | { readonly kind: 'start_timer'; readonly timer: string; readonly at: number }
  | {
      readonly kind: 'notify';
      readonly key: string;
      readonly stepId: string;
      readonly channel: NotifyChannel;
      readonly message: string;
      readonly url: string | null;
      readonly attempt?: number;
      readonly target?: NotifyTarget;
      readonly integration?: string | null;
    }
  | { readonly kind: 'request_approval'; readonly stepId: string; readonly prompt: string; readonly quorum: number }
  | {
      readonly kind: 'start_child';
      readonly key: string;
      readonly stepId: string;
      readonly attempt: number;
      readonly recipeId: string;
      readonly version: number | null;
      readonly inputs: Readonly<Record<string, unknown>>;
    }
  | {
      readonly kind: 'control_child';
      readonly key: string;
      readonly stepId: string;
      readonly action: 'pause' | 'resume' | 'cancel';
      readonly reason: string;
    }
  | { readonly kind: 'finished'; readonly status: 'succeeded' | 'failed' | 'cancelled' };

/** Evaluates the safe expression language (CEL) over a scope; pure. Errors are thrown as `ExpressionError`. */
export interface Expressions {
  /** The value of an expression, e.g. `steps.triage.output.count > 0`. */
  evaluate(expression: string, scope: Readonly<Record<string, unknown>>): unknown;
  /** A string with every `${expression}` replaced by its value. */
  render(template: string, scope: Readonly<Record<string, unknown>>): string;
}

/** What the decider may consult besides the state and the event. All of it is pure. */
export interface DecideContext {
  /** A version of the execution's recipe (the pinned one, or a newer one after a move). */
  readonly recipe: (version: number) => CompiledRecipe;
  readonly expressions: Expressions;
}

/** The decider's answer. */
export interface Decided {
  readonly state: ExecutionState;
  readonly commands: readonly Command[];
}

/** A failure to evaluate an expression or template: the step fails with this message. */
export class ExpressionError extends Error {
  readonly code = 'expression_failed';
}
