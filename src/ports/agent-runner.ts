/** One attempt of an agent step, as Baton asks a sandbox to run it. */
export interface RunRequest {
  /** `<execution>/<step>/<attempt>`: a repeated key must never start a second run. */
  readonly key: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly profile: { readonly name: string; readonly model: string; readonly tools: readonly string[] };
  readonly prompt: string;
  readonly input: Readonly<Record<string, unknown>>;
  readonly timeoutMs: number | null;
}

/** What became of a run. */
export type RunResult =
  | { readonly key: string; readonly outcome: 'succeeded'; readonly output: unknown }
  | { readonly key: string; readonly outcome: 'failed'; readonly error: string; readonly retryable: boolean };

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
