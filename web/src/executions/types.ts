/**
 * The API's shapes these pages read (the subset they use; field names as in `/openapi.json`:
 * Execution, StepState, ExecutionHistoryEntry, ArtifactEntry, Artifact, Run, ExecutionSummary,
 * InboxApproval, InboxFailure, Dashboard, Recipe, RecipeVersion).
 */

/** An execution's status. */
export type ExecutionStatus = 'running' | 'waiting' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

/** Every execution status, in the order filters offer them. */
export const executionStatuses: readonly ExecutionStatus[] = ['running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled'];

/** One step's state in an execution. */
export interface StepState {
  status: 'pending' | 'scheduled' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  attempt: number;
  tries: number;
  visit: number;
  input: Record<string, unknown> | null;
  output: unknown;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  decisions: Array<{ userId: string; approved: boolean; comment: string | null; at: number }>;
  childExecutionId?: string | null;
}

/** GET /v1/executions/{id}. */
export interface Execution {
  id: string;
  workspaceId: string;
  dashboardId: string;
  recipeId: string;
  recipeVersion: number;
  status: ExecutionStatus;
  inputs: Record<string, unknown>;
  steps: Record<string, StepState>;
  active: string[];
  startedAt: number;
  finishedAt: number | null;
  deadlineAt: number | null;
  reason: string | null;
  version: number;
  createdBy: string | null;
  parent?: { executionId: string; stepId: string; attempt: number; depth: number } | null;
  waitingFor?: 'sandbox' | 'approval' | 'event' | 'timer' | null;
  queuePosition?: number | null;
  summary?: string | null;
  cost?: { totalUsd: number; runs: number };
}

/** One entry of an execution's history. */
export interface HistoryEntry {
  seq: number;
  event: Record<string, unknown> & { type?: string };
  createdAt: string;
}

/** An artifact as listed (with a preview). */
export interface ArtifactEntry {
  id: string;
  executionId: string;
  stepId: string;
  runKey: string;
  kind: string;
  title: string;
  url: string | null;
  size: number;
  createdAt: string;
  preview: string | null;
}

/** A run in a sandbox. */
export interface Run {
  runKey: string;
  stepId: string;
  attempt: number;
  status: 'dispatched' | 'running' | 'succeeded' | 'failed' | 'lost' | 'cancelled';
  costUsd: number;
  maxCostUsd: number | null;
  progress: unknown;
  error: string | null;
  dispatchedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** An execution in search results. */
export interface ExecutionSummary {
  id: string;
  dashboardId: string;
  recipeId: string;
  recipeVersion: number;
  status: ExecutionStatus;
  origin: { kind: 'person' | 'schedule' | 'trigger' | 'parent'; id: string | null };
  createdAt: string;
  finishedAt: number | null;
  reason: string | null;
  active: string[];
}

/** A workspace, dashboard or recipe by id and name (the inbox's references). */
export interface Named {
  id: string;
  name: string;
}

/** GET /v1/me/inbox. */
export interface Inbox {
  counts: { approvals: number; failed: number };
  approvals: Array<{ workspace: Named; dashboard: Named; recipe: Named; executionId: string; stepId: string; prompt: string; quorum: number; approvals: number; waitingSince: string | null }>;
  failed: Array<{ workspace: Named; dashboard: Named; recipe: Named; executionId: string; reason: string | null; failedStep: string | null; failedAt: string | null; links: { retry: string | null } }>;
}

/** A dashboard. */
export interface Dashboard {
  id: string;
  workspaceId: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
  role?: 'owner' | 'editor' | 'viewer';
}

/** A recipe. */
export interface Recipe {
  id: string;
  workspaceId: string;
  name: string;
  latestVersion: number;
  createdAt: string;
  updatedAt: string;
  archivedAt: string | null;
}

/** A declared recipe input (compiled). */
export interface InputSpec {
  type: 'string' | 'number' | 'boolean' | 'object' | 'array';
  required: boolean;
  default?: unknown;
}

/** A recipe version. */
export interface RecipeVersion {
  recipeId: string;
  version: number;
  source: unknown;
  compiled: unknown;
  createdBy: string | null;
  createdAt: string;
}

/** Terminal statuses: nothing more will happen without a person. */
export function isFinished(status: ExecutionStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}
