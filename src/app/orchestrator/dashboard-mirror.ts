import * as Y from 'yjs';
import {
  isFinishedStatus,
  type Decision,
  type ExecutionState,
  type StepState,
} from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { approvalKey } from '../../domain/realtime/approval-decision.ts';

/**
 * How executions appear in their dashboard's state document (`<id>/state`, which only the server
 * writes; see docs/dashboard-document.md):
 * - `executions`: executionId → { recipeId, recipeVersion, status, active, reason, steps: { id → summary }, summary,
 *   updatedAt } (`summary`: what the finished execution came to, as GET /v1/executions/{id} has it; null before)
 * - `approvals`: `<executionId>:<stepId>` → Y.Map { executionId, stepId, prompt, quorum, visit, status,
 *   decisions: Y.Map userId → { approved, comment, at, name, email } }. A member approves or rejects by writing their
 *   own entry into the dashboard document's `decisions` map (`<executionId>:<stepId>` → userId); the server
 *   turns it into an approval through the access policy, and writes every recorded decision here,
 *   however it was made.
 */
/**
 * Who made a decision, when the mirror looked them up (`MirrorScheduler`): shown next to the decision
 * (its key is their user id), whichever way it was made.
 */
export interface Decider {
  readonly name?: string | null;
  readonly email?: string | null;
}

/** How many finished executions a dashboard document keeps (the API keeps them all). */
export const finishedKept = 50;

export function mirrorExecution(
  doc: Y.Doc,
  state: ExecutionState,
  recipe: CompiledRecipe,
  executionSummary: string | null = null,
  now: Date = new Date(state.finishedAt ?? state.startedAt),
): void {
  const steps: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(state.steps)) {
    // A recipe step names its child execution (docs/orchestrator.md, "Sub-recipes").
    steps[id] = {
      status: s.status,
      attempt: s.attempt,
      error: s.error,
      summary: summaryOf(s.output),
      ...(s.childExecutionId === undefined || s.childExecutionId === null
        ? {}
        : { childExecutionId: s.childExecutionId }),
    };
  }
  const summary = {
    recipeId: state.recipeId,
    recipeVersion: state.recipeVersion,
    status: state.status,
    active: [...state.active],
    reason: state.reason,
    steps,
    summary: executionSummary,
    finishedAt: state.finishedAt,
    updatedAt: now.toISOString(),
  };
  doc.transact(() => {
    doc.getMap('executions').set(state.id, summary);
    const approvals = doc.getMap<Y.Map<unknown>>('approvals');
    for (const [id, s] of Object.entries(state.steps)) {
      const step = recipe.steps[id];
      if (step?.kind !== 'approval' || !opened(s)) continue;
      mirrorApproval(
        approvals,
        approvalKey(state.id, id),
        {
          executionId: state.id,
          stepId: id,
          prompt: typeof s.input?.prompt === 'string' ? s.input.prompt : step.prompt,
          quorum: step.quorum,
        },
        s,
      );
    }
    if (isFinishedStatus(state.status)) pruneFinished(doc);
  });
}

/**
 * Whether an approval step has asked people (it began, in this or an earlier visit): the step holds
 * the prompt it asked with. One held by a pause, skipped before it was reached or whose prompt could
 * not be rendered asked nobody.
 */
function opened(s: StepState): boolean {
  return s.visit > 0 && s.status !== 'pending' && typeof s.input?.prompt === 'string';
}

/** How an approval step's state reads in the document. */
function approvalStatus(s: StepState): 'waiting' | 'approved' | 'rejected' | 'skipped' | 'cancelled' {
  switch (s.status) {
    case 'skipped':
      return 'skipped';
    case 'cancelled':
      return 'cancelled';
    case 'succeeded':
      return (s.output as { approved?: boolean } | null)?.approved === true ? 'approved' : 'rejected';
    case 'failed':
      return 'rejected';
    default:
      return 'waiting';
  }
}

/**
 * Writes one approval as the execution's state has it, however it was decided (the API, the CLI,
 * the document) and however fast: the entry is created even when the approval closed before any
 * write showed it waiting. Every recorded decision is in `decisions`; once the approval has closed,
 * entries that were never recorded (refused, written under someone else's id) are removed. A new
 * visit of the step (a loop) starts the entry afresh. Only what differs is written.
 */
function mirrorApproval(
  approvals: Y.Map<Y.Map<unknown>>,
  key: string,
  asked: { executionId: string; stepId: string; prompt: string; quorum: number },
  s: StepState,
): void {
  let entry = approvals.get(key);
  if (entry === undefined) {
    entry = new Y.Map<unknown>();
    approvals.set(key, entry);
  }
  let decisions = entry.get('decisions');
  const revisited = entry.get('visit') !== undefined && entry.get('visit') !== s.visit;
  if (!(decisions instanceof Y.Map) || revisited) {
    decisions = new Y.Map<unknown>();
    entry.set('decisions', decisions);
  }
  const fields: Record<string, unknown> = { ...asked, visit: s.visit, status: approvalStatus(s) };
  for (const [name, value] of Object.entries(fields)) if (entry.get(name) !== value) entry.set(name, value);
  const recorded = new Map(
    s.decisions.map((d: Decision & Decider) => [
      d.userId,
      {
        approved: d.approved,
        comment: d.comment,
        at: d.at,
        ...(d.name === undefined ? {} : { name: d.name }),
        ...(d.email === undefined ? {} : { email: d.email }),
      },
    ]),
  );
  const shown = decisions as Y.Map<unknown>;
  for (const [userId, value] of recorded)
    if (JSON.stringify(shown.get(userId)) !== JSON.stringify(value)) shown.set(userId, value);
  if (s.status !== 'waiting') for (const userId of [...shown.keys()]) if (!recorded.has(userId)) shown.delete(userId);
}

/**
 * Keeps the document small: only the newest `finishedKept` finished executions stay (with their
 * approvals); every server write copies the document, so it must not grow with a dashboard's history.
 */
function pruneFinished(doc: Y.Doc): void {
  const executions = doc.getMap<{ status?: string; finishedAt?: number | null }>('executions');
  const done = [...executions.entries()]
    .filter(([, e]) => isFinishedStatus(e.status ?? ''))
    .sort((a, b) => (b[1].finishedAt ?? 0) - (a[1].finishedAt ?? 0));
  if (done.length <= finishedKept) return;
  const approvals = doc.getMap('approvals');
  for (const [id] of done.slice(finishedKept)) {
    executions.delete(id);
    for (const key of [...approvals.keys()]) if (key.startsWith(`${id}:`)) approvals.delete(key);
  }
}

/** A short text for a step's output, for people glancing at the dashboard. */
function summaryOf(output: unknown): string | null {
  if (output === null || output === undefined) return null;
  if (typeof output === 'object' && typeof (output as { summary?: unknown }).summary === 'string')
    return (output as { summary: string }).summary.slice(0, 500);
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
