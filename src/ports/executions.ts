import type { Actor, ExecutionEvent, ExecutionState } from '../domain/orchestrator/execution.ts';
import type { OutboxJob } from './job-outbox.ts';
import type { Transaction } from './unit-of-work.ts';

/**
 * What started an execution (searchable): a person (the default), or the schedule,
 * trigger or parent execution with its id.
 */
export type ExecutionOrigin =
  { readonly kind: 'person' } | { readonly kind: 'schedule' | 'trigger' | 'parent'; readonly id: string };

/** An execution row: where it lives, and its current state. */
export interface ExecutionRecord {
  readonly id: string;
  readonly workspaceId: string;
  readonly dashboardId: string;
  readonly recipeId: string;
  readonly state: ExecutionState;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** One entry of an execution's history. */
export interface HistoryEntry {
  readonly seq: number;
  readonly event: ExecutionEvent;
  readonly createdAt: Date;
}

/** A new state, the event that led to it and the jobs it causes. */
export interface ExecutionChange {
  readonly id: string;
  /** The version the state was decided from: the change applies only if the execution is still there. */
  readonly expectedVersion: number;
  readonly state: ExecutionState;
  readonly event: ExecutionEvent;
  readonly actor: Actor;
  /** Written to the job outbox together with the state. */
  readonly jobs: readonly OutboxJob[];
  /**
   * Cancel keys of outbox jobs the change makes redundant (timers the execution no longer awaits):
   * deleted with the state, if they are still in the outbox (never a job of `jobs`).
   */
  readonly withdraw?: readonly string[];
  /**
   * The execution's summary, written with the state: set (text, or null for none) by the change that
   * finishes it, null again by one that reopens it (a retry), absent to leave it as it is.
   */
  readonly summary?: string | null;
}

/** Executions and their append-only histories. */
export interface ExecutionStore {
  /**
   * Creates the execution row with its initial state. `parentKey` (a child's step attempt,
   * `<parent>/<step>/<attempt>`) is unique: a second child for one attempt is refused.
   */
  create(
    execution: {
      id: string;
      workspaceId: string;
      dashboardId: string;
      recipeId: string;
      state: ExecutionState;
      createdBy: string | null;
      origin?: ExecutionOrigin;
      parentKey?: string;
    },
    tx: Transaction,
  ): Promise<void>;
  /** The child execution a step attempt started (`<parent>/<step>/<attempt>`), if it has one. */
  childByKey(parentKey: string, tx?: Transaction): Promise<ExecutionRecord | undefined>;
  /** The execution, locked for update until the transaction ends: one event at a time per execution. */
  lock(id: string, tx: Transaction): Promise<ExecutionRecord | undefined>;
  /**
   * Writes the new state, appends the event (seq = state.version) and writes the jobs to the outbox,
   * all or nothing (one statement; inside `tx` when given). Returns false, writing nothing, when the
   * execution is no longer at `expectedVersion` (another event came first: decide again).
   */
  save(change: ExecutionChange, tx?: Transaction): Promise<boolean>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** Executions of a dashboard, newest first. */
  listByDashboard(dashboardId: string, limit: number): Promise<ExecutionRecord[]>;
  /** A page of history: events with seq > `after`, oldest first. */
  history(id: string, page: { after: number; limit: number }): Promise<HistoryEntry[]>;
  /** Executions not finished (for recovery after a restart). */
  unfinished(): Promise<Array<Pick<ExecutionRecord, 'id' | 'dashboardId' | 'recipeId'>>>;
}
