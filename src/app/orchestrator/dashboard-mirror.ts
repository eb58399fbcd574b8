import * as Y from 'yjs';
import { isFinishedStatus, type ExecutionState } from '../../domain/orchestrator/execution.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';

/**
 * How executions appear in their dashboard document (see docs/dashboard-document.md):
 * - `executions`: executionId → { recipeId, recipeVersion, status, active, reason, steps: { id → summary }, updatedAt }
 * - `approvals`: `<executionId>:<stepId>` → Y.Map { executionId, stepId, prompt, quorum, status,
 *   decisions: Y.Map userId → { approved, comment } }. A member approves or rejects by writing their
 *   own entry into `decisions`; the server turns it into an approval through the access policy.
 */
/** How many finished executions a dashboard document keeps (the API keeps them all). */
export const finishedKept = 50;

export function mirrorExecution(doc: Y.Doc, state: ExecutionState, recipe: CompiledRecipe): void {
  const steps: Record<string, unknown> = {};
  for (const [id, s] of Object.entries(state.steps)) {
    steps[id] = { status: s.status, attempt: s.attempt, error: s.error, summary: summaryOf(s.output) };
  }
  const summary = { recipeId: state.recipeId, recipeVersion: state.recipeVersion, status: state.status, active: [...state.active], reason: state.reason, steps, finishedAt: state.finishedAt, updatedAt: new Date().toISOString() };
  doc.transact(() => {
    doc.getMap('executions').set(state.id, summary);
    const approvals = doc.getMap<Y.Map<unknown>>('approvals');
    for (const [id, s] of Object.entries(state.steps)) {
      const step = recipe.steps[id];
      if (step?.kind !== 'approval' || s.visit === 0) continue;
      const key = `${state.id}:${id}`;
      let entry = approvals.get(key);
      if (entry === undefined) {
        if (s.status !== 'waiting') continue;
        entry = new Y.Map<unknown>();
        entry.set('executionId', state.id);
        entry.set('stepId', id);
        entry.set('prompt', typeof s.input?.prompt === 'string' ? s.input.prompt : step.prompt);
        entry.set('quorum', step.quorum);
        entry.set('decisions', new Y.Map<unknown>());
        approvals.set(key, entry);
      }
      const status = s.status === 'waiting' ? 'waiting' : (s.output as { approved?: boolean } | null)?.approved === true ? 'approved' : 'rejected';
      if (entry.get('status') !== status) entry.set('status', status);
    }
    if (isFinishedStatus(state.status)) pruneFinished(doc);
  });
}

/**
 * Keeps the document small: only the newest `finishedKept` finished executions stay (with their
 * approvals); every server write copies the document, so it must not grow with a dashboard's history.
 */
function pruneFinished(doc: Y.Doc): void {
  const executions = doc.getMap<{ status?: string; finishedAt?: number | null }>('executions');
  const done = [...executions.entries()].filter(([, e]) => isFinishedStatus(e.status ?? '')).sort((a, b) => (b[1].finishedAt ?? 0) - (a[1].finishedAt ?? 0));
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
  if (typeof output === 'object' && typeof (output as { summary?: unknown }).summary === 'string') return (output as { summary: string }).summary.slice(0, 500);
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

/** Where an approval lives in the document: its key split into execution and step. */
export function parseApprovalKey(key: string): { executionId: string; stepId: string } | undefined {
  const match = /^([0-9a-f-]{36}):(.+)$/.exec(key);
  return match === null ? undefined : { executionId: match[1] ?? '', stepId: match[2] ?? '' };
}
