import type { RunStatus } from './sessions.ts';

/** An artifact as an execution's list shows it: what it is, how big, and its first characters. */
export interface ArtifactEntry {
  /** Baton's id of the artifact (`GET /v1/artifacts/{id}`). */
  readonly id: string;
  readonly executionId: string;
  readonly stepId: string;
  /** The run that reported it (`<execution>/<step>/<attempt>`) and the sandbox's id of it in that run. */
  readonly runKey: string;
  readonly artifactId: string;
  readonly kind: string;
  readonly title: string;
  readonly url: string | null;
  /** The content's size in UTF-8 bytes (0 without content). */
  readonly size: number;
  /** The first characters of the content (null without content). */
  readonly preview: string | null;
  readonly createdAt: Date;
}

/** An artifact with its whole content. */
export interface ArtifactDetail extends Omit<ArtifactEntry, 'preview'> {
  readonly content: string | null;
}

/** A run dispatched to a sandbox, as an execution's list of runs shows it. */
export interface RunEntry {
  readonly runKey: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly sessionId: string;
  readonly epoch: number;
  /** The sandbox that ran it, while its session still names it (null once a newer sandbox replaced it). */
  readonly sandboxId: string | null;
  readonly status: RunStatus;
  /** The cost the sandbox reported, in US dollars, and the budget it was given (null: none). */
  readonly costUsd: number;
  readonly maxCostUsd: number | null;
  /** The last progress report (`{ message, percent?, costUsd? }`), or null before the first. */
  readonly progress: unknown;
  readonly error: string | null;
  readonly dispatchedAt: Date;
  readonly startedAt: Date | null;
  readonly finishedAt: Date | null;
  readonly updatedAt: Date;
}

/** What an execution came to and cost, beside its state. */
export interface ExecutionOutcome {
  /** Set once it finished (see `src/app/orchestrator/execution-summary.ts`); null otherwise. */
  readonly summary: string | null;
  /** The sum of what its runs reported, in US dollars. */
  readonly costUsd: number;
  /** How many runs were dispatched for it. */
  readonly runs: number;
}

/** Reads of what an execution's runs left behind: artifacts, runs, cost and the summary. */
export interface ExecutionDetailsStore {
  /**
   * A page of the execution's artifacts, oldest first: those after the artifact `after` (an id from
   * an earlier page), at most `limit`.
   */
  artifacts(executionId: string, page: { after: string | null; limit: number }): Promise<ArtifactEntry[]>;
  /** One artifact with its whole content, or undefined. */
  artifact(id: string): Promise<ArtifactDetail | undefined>;
  /**
   * A page of the execution's runs in the order they were dispatched: those after the run
   * `after` (a run key), at most `limit`.
   */
  runs(executionId: string, page: { after: string | null; limit: number }): Promise<RunEntry[]>;
  /** The execution's summary and total cost, or undefined when there is no such execution. */
  outcome(executionId: string): Promise<ExecutionOutcome | undefined>;
}
