import { awaitedTimers, awaitsResult, decide } from '../../domain/orchestrator/decide.ts';
import {
  isFinishedStatus,
  type Actor,
  type Command,
  type Decided,
  type ExecutionEvent,
  type ExecutionState,
  type Expressions,
} from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { ExecutionChange, ExecutionRecord, ExecutionStore } from '../../ports/executions.ts';
import type { JobOutbox, OutboxJob } from '../../ports/job-outbox.ts';
import type { Logger } from '../../ports/logger.ts';
import type { RecipeStore } from '../../ports/recipes.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { Transaction, UnitOfWork } from '../../ports/unit-of-work.ts';
import { recordStepChanges } from './step-metrics.ts';
import { executionSummary } from './execution-summary.ts';

/** The queue topics of the orchestrator. */
export const topics = {
  dispatch: 'orchestrator.dispatch',
  cancel: 'orchestrator.cancel',
  timer: 'orchestrator.timer',
  notify: 'orchestrator.notify',
  /** An execution finished (what waits on it, e.g. a schedule's queued fire, starts). */
  finished: 'orchestrator.finished',
  /** A recipe step's attempt starts its child execution (once per attempt: `sub-recipes.ts`). */
  startChild: 'orchestrator.start_child',
  /** A parent's pause, resume or cancel reaches the child of a recipe step. */
  controlChild: 'orchestrator.control_child',
  /** A child execution finished: its parent's recipe step takes the outcome. */
  childFinished: 'orchestrator.child_finished',
} as const;

/** An event without the time and actor the engine stamps on it. */
export type EventBody = ExecutionEvent extends infer E
  ? E extends { type: string }
    ? Omit<E, 'at' | 'actor'>
    : never
  : never;

/** What the engine needs. */
export interface EngineDeps {
  readonly unitOfWork: UnitOfWork;
  readonly executions: ExecutionStore;
  readonly recipes: RecipeStore;
  /** Relays the jobs that commands cause (written with the state) to the job queue. */
  readonly outbox: Pick<JobOutbox, 'kick'>;
  readonly clock: Clock;
  readonly expressions: Expressions;
  readonly logger: Logger;
  /**
   * How long a dispatch job waits before it runs. With a fast path (`onCommitted`) that dispatches
   * right after the commit, the job is the crash-safe backup: it runs later and finds the attempt
   * already started (the sandbox deduplicates by key). Default 0: the job is the dispatch.
   */
  readonly dispatchBackupDelayMs?: number;
  /** Counts steps started, finished and failed, once each change is committed (absent: not counted). */
  readonly metrics?: Pick<Metrics, 'step'>;
}

/** Payloads of the orchestrator's jobs. */
export type DispatchJob = Extract<Command, { kind: 'dispatch' }> & {
  readonly executionId: string;
  readonly workspaceId: string;
  readonly dashboardId?: string;
};
export type CancelJob = { readonly key: string };
export type TimerJob = { readonly executionId: string; readonly timer: string };
export type NotifyJob = Extract<Command, { kind: 'notify' }> & { readonly executionId: string };
export type FinishedJob = { readonly executionId: string; readonly status: 'succeeded' | 'failed' | 'cancelled' };
export type StartChildJob = Extract<Command, { kind: 'start_child' }> & { readonly executionId: string };
export type ControlChildJob = Extract<Command, { kind: 'control_child' }> & { readonly executionId: string };
/** `executionId` is the child that finished. */
export type ChildFinishedJob = { readonly executionId: string };
/** The execution a committed transaction changed. */
export type CommittedExecution = Pick<ExecutionRecord, 'id' | 'workspaceId' | 'dashboardId' | 'recipeId'>;
/** Called after a transaction that applied events committed: the fast path (dispatch now, mirror). */
export type CommittedHandler = (execution: CommittedExecution, decided: Decided) => void;

/**
 * The durable shell around the pure decider: one event at a time per execution (row lock), and the
 * new state, the history entry and the jobs the commands need commit in one transaction. A crash
 * leaves either the old state with its pending jobs or the new state with the new jobs.
 */
export class Engine {
  readonly #deps: EngineDeps;
  readonly #recipes = new Map<string, CompiledRecipe>();
  readonly #committed: CommittedHandler[] = [];
  readonly #current = new Map<string, Current>();
  /** The state each decided change was made from, until its commit is reported (for step metrics). */
  readonly #decidedFrom = new WeakMap<Decided, ExecutionState>();

  constructor(deps: EngineDeps) {
    this.#deps = deps;
  }

  /** Registers what runs after each commit (in this process, best effort; the jobs are the durable path). */
  onCommitted(handler: CommittedHandler): void {
    this.#committed.push(handler);
  }

  /**
   * Applies an event to an execution; returns the new state. The hot path: decide from the state this
   * process last wrote (or read), then save with a compare-and-set on its version in one statement.
   * Another process or an intervention that came first makes the save miss: read again and decide again.
   */
  async apply(executionId: string, body: EventBody, actor: Actor = { kind: 'system' }): Promise<ExecutionState> {
    for (let attempt = 1; ; attempt++) {
      const cached = this.#current.get(executionId);
      const current = cached ?? (await this.#deps.executions.get(executionId));
      if (current === undefined) throw new NotFoundError('Execution');
      if (!changesAnything(current.state, body)) {
        // A timer the execution no longer awaits (superseded, or the execution finished), or a step
        // result it already has (two instances reporting one result, a late report of a replaced
        // attempt), would change nothing: it is not recorded, so the history invents nothing. The state
        // this process remembers may be behind, so ask Postgres first.
        if (cached === undefined) return current.state;
        this.#current.delete(executionId);
        continue;
      }
      const decided = await this.#decide(current, body, actor);
      if (await this.#deps.executions.save(this.#change(current, decided))) {
        this.committed(current, decided);
        return decided.state;
      }
      this.#current.delete(executionId);
      if (attempt >= 50) throw new Error(`execution ${executionId} changed 50 times while an event was being applied`);
    }
  }

  /** Tells the fast path that a change was committed (callers of `applyLocked`, after their commit). */
  committed(execution: CommittedExecution, decided: Decided): void {
    this.#count(execution, decided);
    this.#remember({
      id: execution.id,
      workspaceId: execution.workspaceId,
      dashboardId: execution.dashboardId,
      recipeId: execution.recipeId,
      state: decided.state,
    });
    if (decided.commands.some((c) => this.#dueSoon(c))) this.#deps.outbox.kick();
    for (const handler of this.#committed) {
      try {
        handler(execution, decided);
      } catch (error) {
        this.#deps.logger.warn(
          { err: error, executionId: execution.id },
          'after-commit handler failed; the jobs will do it',
        );
      }
    }
  }

  /**
   * Runs the after-commit handlers for a state already stored, without a change: shows it in the
   * dashboard again where someone wrote what was not recorded (a refused decision in the document).
   */
  show(execution: CommittedExecution & Pick<ExecutionRecord, 'state'>): void {
    this.committed(execution, { state: execution.state, commands: [] });
  }

  /**
   * Applies an event to an execution the caller has locked (or just created) in `tx`. After the
   * caller's transaction commits, it should pass the result to `committed`.
   */
  async applyLocked(record: ExecutionRecord, body: EventBody, actor: Actor, tx: Transaction): Promise<Decided> {
    const decided = await this.#decide(record, body, actor, tx);
    if (!(await this.#deps.executions.save(this.#change(record, decided), tx)))
      throw new Error(`execution ${record.id} changed although it was locked`);
    return decided;
  }

  async #decide(
    current: Current,
    body: EventBody,
    actor: Actor,
    tx?: Transaction,
  ): Promise<Decided & { event: ExecutionEvent; actor: Actor }> {
    const event = { ...body, at: this.#deps.clock.now().getTime(), actor } as ExecutionEvent;
    const versions = [current.state.recipeVersion, ...(event.type === 'execution.moved' ? [event.recipeVersion] : [])];
    for (const version of versions) await this.#load(current.recipeId, version, tx);
    const decided = decide(current.state, event, {
      recipe: (version) => {
        const compiled = this.#recipes.get(`${current.recipeId}@${version}`);
        if (compiled === undefined) throw new Error(`recipe version ${version} was not loaded`);
        return compiled;
      },
      expressions: this.#deps.expressions,
    });
    const result = { ...decided, event, actor };
    if (this.#deps.metrics !== undefined) this.#decidedFrom.set(result, current.state);
    return result;
  }

  /** Counts what a committed change did to its steps (once: a decided change is committed once). */
  #count(execution: CommittedExecution, decided: Decided): void {
    const metrics = this.#deps.metrics;
    const before = this.#decidedFrom.get(decided);
    if (metrics === undefined || before === undefined) return;
    this.#decidedFrom.delete(decided);
    try {
      recordStepChanges(
        metrics,
        this.#recipes.get(`${execution.recipeId}@${decided.state.recipeVersion}`),
        before,
        decided.state,
      );
    } catch (error) {
      this.#deps.logger.warn({ err: error, executionId: execution.id }, 'could not count step metrics');
    }
  }

  #change(current: Current, decided: Decided & { event: ExecutionEvent; actor: Actor }): ExecutionChange {
    // Timers the execution stops awaiting with this event (superseded, or all of them when it ends):
    // their delayed jobs are withdrawn from the outbox in the same statement.
    const awaited = new Set(awaitedTimers(decided.state));
    const withdraw = awaitedTimers(current.state).flatMap((timer) =>
      awaited.has(timer) ? [] : [timerCancelKey(current.id, timer)],
    );
    return {
      id: current.id,
      expectedVersion: current.state.version,
      state: decided.state,
      event: decided.event,
      actor: decided.actor,
      jobs: decided.commands.flatMap((command) => this.#jobs(current, command, decided.state)),
      ...(withdraw.length === 0 ? {} : { withdraw }),
      ...this.#summaryChange(current, decided.state),
    };
  }

  /**
   * The summary a change writes: computed by the change that finishes the execution (its recipe was
   * loaded to decide it), cleared by one that reopens it, untouched otherwise.
   */
  #summaryChange(current: Current, state: ExecutionState): { summary?: string | null } {
    const finished = isFinishedStatus(state.status);
    if (finished === isFinishedStatus(current.state.status)) return {};
    if (!finished) return { summary: null };
    const recipe = this.#recipes.get(`${current.recipeId}@${state.recipeVersion}`);
    if (recipe === undefined) return { summary: null };
    const { summary, error } = executionSummary(state, recipe, this.#deps.expressions);
    if (error !== null)
      this.#deps.logger.warn(
        { executionId: current.id, error },
        "the recipe's summary template failed; the execution has no summary",
      );
    return { summary };
  }

  /** A finished execution's summary, as the change that finished it stored it (for the dashboard mirror). */
  async summaryOf(execution: Pick<ExecutionRecord, 'recipeId' | 'state'>): Promise<string | null> {
    if (!isFinishedStatus(execution.state.status)) return null;
    return executionSummary(
      execution.state,
      await this.#load(execution.recipeId, execution.state.recipeVersion),
      this.#deps.expressions,
    ).summary;
  }

  /** Keeps the newest state of executions this process changed, so the next event need not read it. */
  #remember(current: Current): void {
    const known = this.#current.get(current.id);
    if (known !== undefined && known.state.version > current.state.version) return;
    this.#current.delete(current.id);
    if (isFinishedStatus(current.state.status)) return;
    this.#current.set(current.id, current);
    // Bounded: forget the least recently changed ones (Map keeps insertion order).
    if (this.#current.size > 10_000)
      for (const id of [...this.#current.keys()].slice(0, 1_000)) this.#current.delete(id);
  }

  /** The compiled recipe an execution follows (for checks before an intervention). */
  async recipeOf(record: ExecutionRecord, version = record.state.recipeVersion): Promise<CompiledRecipe> {
    return this.#load(record.recipeId, version);
  }

  /** A version of a recipe, compiled (cached: versions are immutable); read in `tx` when given. */
  async recipe(recipeId: string, version: number, tx?: Transaction): Promise<CompiledRecipe> {
    return this.#load(recipeId, version, tx);
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

  /**
   * Whether the command's job should be relayed at once. A delayed one (the backup of a dispatch, a
   * timer more than 2 s away) is left to the relay's next poll, off the step's critical moment and
   * batched with others.
   */
  #dueSoon(command: Command): boolean {
    if (command.kind === 'request_approval') return false;
    if (command.kind === 'dispatch') return (this.#deps.dispatchBackupDelayMs ?? 0) === 0;
    if (command.kind === 'start_timer') return command.at <= this.#deps.clock.now().getTime() + 2_000;
    return true;
  }

  /** The jobs a command needs (written to the outbox with the state). */
  #jobs(current: Current, command: Command, state: ExecutionState): OutboxJob[] {
    const executionId = current.id;
    const now = this.#deps.clock.now().getTime();
    switch (command.kind) {
      case 'dispatch': {
        const delay = this.#deps.dispatchBackupDelayMs ?? 0;
        // The backup waits in the outbox; the fast path withdraws it once the run started (`cancel`).
        return [
          {
            topic: topics.dispatch,
            data: {
              ...command,
              executionId,
              workspaceId: current.workspaceId,
              dashboardId: current.dashboardId,
            } satisfies DispatchJob,
            ...(delay > 0 ? { startAfter: new Date(now + delay), cancelKey: `dispatch:${command.key}` } : {}),
          },
        ];
      }
      case 'cancel_run':
        return [{ topic: topics.cancel, data: { key: command.key } satisfies CancelJob }];
      case 'start_timer':
        return [
          {
            topic: topics.timer,
            data: { executionId, timer: command.timer } satisfies TimerJob,
            startAfter: new Date(command.at),
            cancelKey: timerCancelKey(executionId, command.timer),
          },
        ];
      case 'notify':
        return [{ topic: topics.notify, data: { ...command, executionId } satisfies NotifyJob }];
      case 'finished': {
        const finished: OutboxJob = {
          topic: topics.finished,
          data: { executionId, status: command.status } satisfies FinishedJob,
        };
        // A child's end goes to its parent with the state that says so (durable like every other result).
        return state.parent === undefined || state.parent === null
          ? [finished]
          : [finished, { topic: topics.childFinished, data: { executionId } satisfies ChildFinishedJob }];
      }
      case 'start_child':
        return [{ topic: topics.startChild, data: { ...command, executionId } satisfies StartChildJob }];
      case 'control_child':
        return [{ topic: topics.controlChild, data: { ...command, executionId } satisfies ControlChildJob }];
      case 'request_approval':
        // Shown in the dashboard by the mirror after the commit.
        return [];
    }
  }
}

/** The cancel key of a timer's delayed job, by which a change that stops awaiting it withdraws it. */
export function timerCancelKey(executionId: string, timer: string): string {
  return `timer:${executionId}:${timer}`;
}

/** What the engine keeps of an execution to decide its next event. */
type Current = Pick<ExecutionRecord, 'id' | 'workspaceId' | 'dashboardId' | 'recipeId' | 'state'>;

/** Splits `<execution>/<step>/<attempt>` (step ids cannot contain a slash). */
export function parseRunKey(key: string): { executionId: string; stepId: string; attempt: number } | undefined {
  const match = /^([0-9a-f-]{36})\/([^/]+)\/(\d+)$/.exec(key);
  if (match === null) return undefined;
  return { executionId: match[1] ?? '', stepId: match[2] ?? '', attempt: Number(match[3]) };
}

/** Whether an event can change the execution: timers and step results it no longer awaits cannot. */
function changesAnything(state: ExecutionState, body: EventBody): boolean {
  if (body.type === 'timer.fired') return awaitedTimers(state).includes(body.timer);
  if (
    body.type === 'step.completed' ||
    body.type === 'step.failed' ||
    body.type === 'step.lost' ||
    body.type === 'child.started'
  )
    return awaitsResult(state, body.stepId, body.attempt);
  return true;
}
