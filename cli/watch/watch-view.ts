import * as Y from 'yjs';
import type { Schema } from '../../client/api.ts';

/** An execution as `GET /v1/executions/{id}` answers it. */
export type Execution = Schema<'Execution'>;
/** One step's state within an execution (the API's `StepState`). */
export type StepState = Schema<'StepState'>;

/** Statuses after which an execution changes no more (a retry starts it again, but `watch` has ended). */
export const finishedStatuses: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

/** A recorded decision on an approval, as the state document shows it. */
export interface DecisionView {
  readonly userId: string;
  readonly approved: boolean;
  readonly comment: string | null;
  /** Who decided, when the server could look them up. */
  readonly name: string | null;
  readonly email: string | null;
}

/** An approval of the execution (`approvals` in the state document). */
export interface ApprovalView {
  readonly stepId: string;
  readonly prompt: string;
  readonly quorum: number;
  readonly visit: number;
  readonly status: string;
  readonly decisions: readonly DecisionView[];
}

/** The latest progress report of one run (`progress` in the state document). */
export interface ProgressView {
  readonly stepId: string;
  readonly attempt: number;
  readonly message: string;
  readonly percent: number | null;
}

/** An artifact a run left (`artifacts` in the state document). */
export interface ArtifactView {
  /** `<runKey>#<artifactId>`: stable, so a new artifact is told from one seen before. */
  readonly key: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly kind: string;
  readonly title: string;
  readonly url: string | null;
}

/**
 * What `baton watch` shows of one execution: the API's answer (the truth about statuses) and what
 * only the dashboard's state document carries live (approval prompts and who decided, the runs'
 * latest progress, artifacts). Plain data: the tree and the JSON events are pure functions of it.
 */
export interface WatchView {
  readonly execution: Execution;
  /** The recipe's name, when it could be read (else the id is shown). */
  readonly recipeName: string | null;
  /**
   * The recipe version's steps in the order they were written (`stepOrder`): the API's `steps` map
   * comes back in Postgres jsonb's key order (shortest key first), not the recipe's. Empty when the
   * version could not be read; steps missing from it are drawn after, in the map's order.
   */
  readonly stepOrder: readonly string[];
  readonly approvals: readonly ApprovalView[];
  readonly progress: readonly ProgressView[];
  readonly artifacts: readonly ArtifactView[];
}

/**
 * The steps of a compiled recipe version in reading order: from `start`, each step then, for a
 * `parallel` step, its branches, for a `branch` step, its cases' targets and `else`, then its `next`.
 * Read defensively: the shape is the server's, typed `unknown` in the API.
 */
export function stepOrder(compiled: unknown): string[] {
  const recipe = record(compiled);
  const steps = record(recipe?.steps);
  if (recipe === undefined || steps === undefined) return [];
  const order: string[] = [];
  const seen = new Set<string>();
  // An explicit stack, not recursion: a long recipe must not exhaust the call stack.
  const stack: unknown[] = [recipe.start];
  while (stack.length > 0) {
    const id = stack.pop();
    if (typeof id !== 'string' || seen.has(id)) continue;
    const step = record(steps[id]);
    if (step === undefined) continue;
    seen.add(id);
    order.push(id);
    const then: unknown[] = [];
    if (Array.isArray(step.branches)) then.push(...(step.branches as unknown[]));
    if (Array.isArray(step.cases)) for (const c of step.cases as unknown[]) then.push(record(c)?.goto);
    then.push(step.else, step.onReject, step.next);
    for (let i = then.length - 1; i >= 0; i--) stack.push(then[i]);
  }
  for (const id of Object.keys(steps)) if (!seen.has(id)) order.push(id);
  return order;
}

/** What the state document holds of the execution, read once (empty lists for a document not synced). */
export function readDocumentExtras(
  doc: Y.Doc,
  executionId: string,
): Pick<WatchView, 'approvals' | 'progress' | 'artifacts'> {
  const approvals: ApprovalView[] = [];
  const progress: ProgressView[] = [];
  const artifacts: ArtifactView[] = [];
  for (const [key, value] of doc.getMap('approvals')) {
    if (!key.startsWith(`${executionId}:`)) continue;
    const entry = record(value);
    if (entry === undefined) continue;
    const decisions: DecisionView[] = [];
    for (const [userId, decided] of Object.entries(record(entry.decisions) ?? {})) {
      const d = record(decided);
      if (d === undefined || typeof d.approved !== 'boolean') continue;
      decisions.push({
        userId,
        approved: d.approved,
        comment: text(d.comment),
        name: text(d.name),
        email: text(d.email),
      });
    }
    approvals.push({
      stepId: text(entry.stepId) ?? key.slice(executionId.length + 1),
      prompt: text(entry.prompt) ?? '',
      quorum: count(entry.quorum) ?? 1,
      visit: count(entry.visit) ?? 1,
      status: text(entry.status) ?? 'waiting',
      decisions,
    });
  }
  for (const [key, value] of doc.getMap('progress')) {
    if (!key.startsWith(`${executionId}/`)) continue;
    const entry = record(value);
    const stepId = text(entry?.stepId);
    const attempt = count(entry?.attempt);
    if (entry === undefined || stepId === null || attempt === null) continue;
    progress.push({
      stepId,
      attempt,
      message: text(entry.message) ?? '',
      percent: typeof entry.percent === 'number' ? entry.percent : null,
    });
  }
  for (const [key, value] of doc.getMap('artifacts')) {
    if (!key.startsWith(`${executionId}/`)) continue;
    const entry = record(value);
    const stepId = text(entry?.stepId);
    const attempt = count(entry?.attempt);
    if (entry === undefined || stepId === null || attempt === null) continue;
    artifacts.push({
      key,
      stepId,
      attempt,
      kind: text(entry.kind) ?? 'file',
      title: text(entry.title) ?? '',
      url: text(entry.url),
    });
  }
  // Map order is the document's (by client and clock): sort so a redraw does not shuffle lines.
  artifacts.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { approvals, progress, artifacts };
}

/** A Y.Map or plain object as a plain object; undefined for anything else. */
function record(value: unknown): Record<string, unknown> | undefined {
  if (value instanceof Y.Map) return value.toJSON();
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
