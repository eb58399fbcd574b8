import type { Actor, ExecutionEvent, ExecutionState } from '../domain/orchestrator/execution.ts';
import type { Transaction } from './unit-of-work.ts';

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

/** Executions and their append-only histories. */
export interface ExecutionStore {
  /** Creates the execution row with its initial state. */
  create(execution: { id: string; workspaceId: string; dashboardId: string; recipeId: string; state: ExecutionState; createdBy: string }, tx: Transaction): Promise<void>;
  /** The execution, locked for update until the transaction ends: one event at a time per execution. */
  lock(id: string, tx: Transaction): Promise<ExecutionRecord | undefined>;
  /** Writes the new state and appends the event that led to it (seq = state.version). */
  save(id: string, state: ExecutionState, event: ExecutionEvent, actor: Actor, tx: Transaction): Promise<void>;
  get(id: string): Promise<ExecutionRecord | undefined>;
  /** Executions of a dashboard, newest first. */
  listByDashboard(dashboardId: string, limit: number): Promise<ExecutionRecord[]>;
  /** A page of history: events with seq > `after`, oldest first. */
  history(id: string, page: { after: number; limit: number }): Promise<HistoryEntry[]>;
  /** Executions not finished (for recovery after a restart). */
  unfinished(): Promise<string[]>;
}
