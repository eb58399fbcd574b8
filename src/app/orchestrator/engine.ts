import { decide } from '../../domain/orchestrator/decide.ts';
import type { Actor, Command, Decided, ExecutionEvent, ExecutionState, Expressions } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { ExecutionRecord, ExecutionStore } from '../../ports/executions.ts';
import type { JobQueue } from '../../ports/job-queue.ts';
import type { Logger } from '../../ports/logger.ts';
import type { RecipeStore } from '../../ports/recipes.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Transaction, UnitOfWork } from '../../ports/unit-of-work.ts';

/** The queue topics of the orchestrator. */
export const topics = {
  dispatch: 'orchestrator.dispatch',
  cancel: 'orchestrator.cancel',
  timer: 'orchestrator.timer',
  notify: 'orchestrator.notify',
} as const;

/** An event without the time and actor the engine stamps on it. */
export type EventBody = ExecutionEvent extends infer E ? (E extends { type: string } ? Omit<E, 'at' | 'actor'> : never) : never;

/** What the engine needs. */
export interface EngineDeps {
  readonly unitOfWork: UnitOfWork;
  readonly executions: ExecutionStore;
  readonly recipes: RecipeStore;
  readonly jobs: JobQueue;
  readonly clock: Clock;
  readonly expressions: Expressions;
  readonly logger: Logger;
  /**
   * How long a dispatch job waits before it runs. With a fast path (`onCommitted`) that dispatches
   * right after the commit, the job is the crash-safe backup: it runs later and finds the attempt
   * already started (the sandbox deduplicates by key). Default 0: the job is the dispatch.
   */
  readonly dispatchBackupDelayMs?: number;
}

/** Payloads of the orchestrator's jobs. */
export type DispatchJob = Extract<Command, { kind: 'dispatch' }> & { readonly executionId: string; readonly workspaceId: string };
export type CancelJob = { readonly key: string };
export type TimerJob = { readonly executionId: string; readonly timer: string };
export type NotifyJob = Extract<Command, { kind: 'notify' }> & { readonly executionId: string };
/** Called after a transaction that applied events committed: the fast path (dispatch now, mirror). */
export type CommittedHandler = (execution: { readonly id: string; readonly workspaceId: string }, commands: readonly Command[]) => void;

/**
 * The durable shell around the pure decider: one event at a time per execution (row lock), and the
 * new state, the history entry and the jobs the commands need commit in one transaction. A crash
 * leaves either the old state with its pending jobs or the new state with the new jobs.
 */
export class Engine {
  readonly #deps: EngineDeps;
  readonly #recipes = new Map<string, CompiledRecipe>();
  readonly #committed: CommittedHandler[] = [];

  constructor(deps: EngineDeps) {
    this.#deps = deps;
  }

  /** Registers what runs after each commit (in this process, best effort; the jobs are the durable path). */
  onCommitted(handler: CommittedHandler): void {
    this.#committed.push(handler);
  }

  /** Applies an event to an execution in its own transaction; returns the new state. */
  async apply(executionId: string, body: EventBody, actor: Actor = { kind: 'system' }): Promise<ExecutionState> {
    const decided = await this.#deps.unitOfWork.run(async (tx) => {
      const record = await this.#deps.executions.lock(executionId, tx);
      if (record === undefined) throw new NotFoundError('Execution');
      return { ...(await this.applyLocked(record, body, actor, tx)), workspaceId: record.workspaceId };
    });
    this.committed({ id: executionId, workspaceId: decided.workspaceId }, decided.commands);
    return decided.state;
  }

  /** Tells the fast path that a transaction with these commands committed (callers of `applyLocked`). */
  committed(execution: { readonly id: string; readonly workspaceId: string }, commands: readonly Command[]): void {
    for (const handler of this.#committed) {
      try {
        handler(execution, commands);
      } catch (error) {
        this.#deps.logger.warn({ err: error, executionId: execution.id }, 'after-commit handler failed; the jobs will do it');
      }
    }
  }

  /**
   * Applies an event to an execution the caller has locked (or just created) in `tx`. After the
   * caller's transaction commits, it should pass the commands to `committed`.
   */
  async applyLocked(record: ExecutionRecord, body: EventBody, actor: Actor, tx: Transaction): Promise<Decided> {
    const event = { ...body, at: this.#deps.clock.now().getTime(), actor } as ExecutionEvent;
    const versions = [record.state.recipeVersion, ...(event.type === 'execution.moved' ? [event.recipeVersion] : [])];
    for (const version of versions) await this.#load(record.recipeId, version, tx);
    const decided = decide(record.state, event, {
      recipe: (version) => {
        const compiled = this.#recipes.get(`${record.recipeId}@${version}`);
        if (compiled === undefined) throw new Error(`recipe version ${version} was not loaded`);
        return compiled;
      },
      expressions: this.#deps.expressions,
    });
    await this.#deps.executions.save(record.id, decided.state, event, actor, tx);
    for (const command of decided.commands) await this.#enqueue(record, command, tx);
    return decided;
  }

  /** The compiled recipe an execution follows (for checks before an intervention). */
  async recipeOf(record: ExecutionRecord, version = record.state.recipeVersion): Promise<CompiledRecipe> {
    return this.#load(record.recipeId, version);
  }

  async #load(recipeId: string, version: number, tx?: Transaction): Promise<CompiledRecipe> {
    const key = `${recipeId}@${version}`;
    const cached = this.#recipes.get(key);
    if (cached !== undefined) return cached;
    const found = await this.#deps.recipes.version(recipeId, version, tx);
    if (found === undefined) throw new NotFoundError(`Version ${version} of the recipe`);
    // Versions are immutable, so caching them forever is safe.
    this.#recipes.set(key, found.compiled);
    return found.compiled;
  }

  async #enqueue(record: ExecutionRecord, command: Command, tx: Transaction): Promise<void> {
    const { jobs } = this.#deps;
    const executionId = record.id;
    switch (command.kind) {
      case 'dispatch':
        await jobs.send(topics.dispatch, { ...command, executionId, workspaceId: record.workspaceId } satisfies DispatchJob, { tx, ...(this.#deps.dispatchBackupDelayMs ? { startAfter: new Date(this.#deps.clock.now().getTime() + this.#deps.dispatchBackupDelayMs) } : {}) });
        return;
      case 'cancel_run':
        await jobs.send(topics.cancel, { key: command.key } satisfies CancelJob, { tx });
        return;
      case 'start_timer':
        await jobs.send(topics.timer, { executionId, timer: command.timer } satisfies TimerJob, { tx, startAfter: new Date(command.at) });
        return;
      case 'notify':
        await jobs.send(topics.notify, { ...command, executionId } satisfies NotifyJob, { tx });
        return;
      case 'request_approval':
      case 'finished':
        // Shown in the dashboard by the mirror after the commit.
        return;
    }
  }
}

/** Splits `<execution>/<step>/<attempt>` (step ids cannot contain a slash). */
export function parseRunKey(key: string): { executionId: string; stepId: string; attempt: number } | undefined {
  const match = /^([0-9a-f-]{36})\/([^/]+)\/(\d+)$/.exec(key);
  if (match === null) return undefined;
  return { executionId: match[1] ?? '', stepId: match[2] ?? '', attempt: Number(match[3]) };
}
