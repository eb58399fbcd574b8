import * as Y from 'yjs';

/**
 * Reading the state document (`<id>/state`), which only the server writes: executions, approvals,
 * sessions, progress and artifacts (docs/dashboard-document.md, Executions and approvals).
 */

/** One step of an execution as mirrored. */
export interface StepView {
  readonly id: string;
  readonly status: string;
  readonly attempt: number | null;
  readonly error: string | null;
  readonly childExecutionId: string | null;
}

/** One execution as mirrored. */
export interface ExecutionView {
  readonly id: string;
  readonly recipeId: string;
  readonly recipeVersion: number | null;
  readonly status: string;
  readonly reason: string | null;
  readonly updatedAt: string;
  readonly steps: readonly StepView[];
}

/** A recorded decision on an approval. */
export interface DecisionView {
  readonly userId: string;
  readonly approved: boolean;
  readonly comment: string | null;
  readonly name: string | null;
  readonly email: string | null;
  readonly at: number | null;
}

/** An approval step's visit. */
export interface ApprovalView {
  readonly key: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly prompt: string;
  readonly quorum: number | null;
  readonly status: string;
  readonly decisions: readonly DecisionView[];
}

/** A session (sandbox) of the dashboard. */
export interface SessionView {
  readonly id: string;
  readonly purpose: string;
  readonly executionId: string | null;
  readonly status: string;
  readonly region: string | null;
  readonly endedReason: string | null;
}

/** The latest progress report of a run. */
export interface ProgressView {
  readonly executionId: string;
  readonly stepId: string;
  readonly attempt: number | null;
  readonly message: string;
  readonly percent: number | null;
}

/** An artifact a run reported. */
export interface ArtifactView {
  readonly key: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly kind: string;
  readonly title: string;
  readonly url: string | null;
  readonly content: string;
}

type Json = Record<string, unknown>;

const plain = (value: unknown): Json | undefined => {
  if (value instanceof Y.Map) return value.toJSON();
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
};
const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);

/** Executions, most recently changed first. */
export function readExecutions(doc: Y.Doc): ExecutionView[] {
  const out: ExecutionView[] = [];
  for (const [id, raw] of doc.getMap('executions')) {
    const e = plain(raw);
    if (e === undefined) continue;
    const steps = Object.entries(plain(e.steps) ?? {}).map(([stepId, s]): StepView => {
      const step = plain(s) ?? {};
      return {
        id: stepId,
        status: str(step.status) ?? 'unknown',
        attempt: num(step.attempt),
        error: str(step.error),
        childExecutionId: str(step.childExecutionId),
      };
    });
    out.push({
      id,
      recipeId: str(e.recipeId) ?? '',
      recipeVersion: num(e.recipeVersion),
      status: str(e.status) ?? 'unknown',
      reason: str(e.reason),
      updatedAt: str(e.updatedAt) ?? '',
      steps,
    });
  }
  return out.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id));
}

/** Approvals, waiting ones first. */
export function readApprovals(doc: Y.Doc): ApprovalView[] {
  const out: ApprovalView[] = [];
  for (const [key, raw] of doc.getMap('approvals')) {
    const a = plain(raw);
    if (a === undefined) continue;
    const decisions = Object.entries(plain(a.decisions) ?? {}).map(([userId, d]): DecisionView => {
      const decision = plain(d) ?? {};
      return {
        userId,
        approved: decision.approved === true,
        comment: str(decision.comment),
        name: str(decision.name),
        email: str(decision.email),
        at: num(decision.at),
      };
    });
    const [executionId = '', stepId = ''] = key.split(':');
    out.push({
      key,
      executionId: str(a.executionId) ?? executionId,
      stepId: str(a.stepId) ?? stepId,
      prompt: str(a.prompt) ?? '',
      quorum: num(a.quorum),
      status: str(a.status) ?? 'unknown',
      decisions,
    });
  }
  return out.sort(
    (a, b) => Number(b.status === 'waiting') - Number(a.status === 'waiting') || a.key.localeCompare(b.key),
  );
}

/** Sessions. */
export function readSessions(doc: Y.Doc): SessionView[] {
  const out: SessionView[] = [];
  for (const [id, raw] of doc.getMap('sessions')) {
    const s = plain(raw);
    if (s === undefined) continue;
    out.push({
      id,
      purpose: str(s.purpose) ?? '',
      executionId: str(s.executionId),
      status: str(s.status) ?? 'unknown',
      region: str(s.region),
      endedReason: str(s.endedReason),
    });
  }
  return out;
}

/** Latest progress of each run. */
export function readProgress(doc: Y.Doc): ProgressView[] {
  const out: ProgressView[] = [];
  for (const raw of doc.getMap('progress').values()) {
    const p = plain(raw);
    if (p === undefined) continue;
    out.push({
      executionId: str(p.executionId) ?? '',
      stepId: str(p.stepId) ?? '',
      attempt: num(p.attempt),
      message: str(p.message) ?? '',
      percent: num(p.percent),
    });
  }
  return out;
}

/** Artifacts. */
export function readArtifacts(doc: Y.Doc): ArtifactView[] {
  const out: ArtifactView[] = [];
  for (const [key, raw] of doc.getMap('artifacts')) {
    const a = plain(raw);
    if (a === undefined) continue;
    out.push({
      key,
      executionId: str(a.executionId) ?? '',
      stepId: str(a.stepId) ?? '',
      kind: str(a.kind) ?? '',
      title: str(a.title) ?? '',
      url: str(a.url),
      content: str(a.content) ?? '',
    });
  }
  return out;
}

/** A URL safe to put in an `href`: http(s) only (no `javascript:`, no `data:`). */
export function safeHref(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}
