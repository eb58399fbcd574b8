import type { Schema } from '../../../client/api.ts';

/**
 * The API's shapes these pages read, from the client typed by our OpenAPI document
 * (client/openapi.d.ts), so a change in the API breaks the console's typecheck instead of a page.
 */

/** GET /v1/executions/{id}. */
export type Execution = Schema<'Execution'>;
/** An execution's status. */
export type ExecutionStatus = Execution['status'];
/** One step's state in an execution. */
export type StepState = Schema<'StepState'>;
/** One entry of an execution's history. */
export type HistoryEntry = Schema<'ExecutionHistoryEntry'>;
/** An artifact as listed (with a preview). */
export type ArtifactEntry = Schema<'ArtifactEntry'>;
/** A run in a sandbox. */
export type Run = Schema<'Run'>;
/** What an execution's runs cost. */
export type ExecutionCost = Schema<'ExecutionCost'>;
/** An execution in search results. */
export type ExecutionSummary = Schema<'ExecutionSummary'>;
/** A dashboard. */
export type Dashboard = Schema<'Dashboard'>;
/** A recipe. */
export type Recipe = Schema<'Recipe'>;
/** A recipe version. */
export type RecipeVersion = Schema<'RecipeVersion'>;

/** GET /v1/me/inbox. */
export interface Inbox {
  counts: { approvals: number; failed: number };
  approvals: Array<Schema<'InboxApproval'>>;
  failed: Array<Schema<'InboxFailure'>>;
}

/** A declared recipe input, as compiled (`compiled` is untyped in the API: the engine's form). */
export interface InputSpec {
  type: 'string' | 'number' | 'boolean' | 'object' | 'array';
  required: boolean;
  default?: unknown;
}

/** Every execution status, in the order filters offer them. */
export const executionStatuses: readonly ExecutionStatus[] = [
  'running',
  'waiting',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
];

/** Terminal statuses: nothing more will happen without a person. */
export function isFinished(status: ExecutionStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled';
}
