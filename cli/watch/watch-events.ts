import type { ApprovalView, ArtifactView, Execution, ProgressView, StepState, WatchView } from './watch-view.ts';

/**
 * What `baton watch` prints when its output is not a terminal (or with `--json`): one JSON object per
 * line, in this order for each change (docs/cli.md, "baton watch"):
 * - `execution`: the execution as `GET /v1/executions/{id}` answers it; first, and again whenever
 *   anything but its steps changed (status, reason, what it waits for, cost);
 * - `step`: one step whose state changed (`step` is the API's `StepState`);
 * - `approval`: an approval of the execution appeared or changed (prompt, status, decisions so far);
 * - `progress`: a run reported progress (the latest report of each run);
 * - `artifact`: a run left an artifact (once each);
 * - `outcome`: last, once the execution finished.
 */
export type WatchEvent =
  | { readonly type: 'execution'; readonly execution: Execution }
  | { readonly type: 'step'; readonly executionId: string; readonly stepId: string; readonly step: StepState }
  | ({ readonly type: 'approval'; readonly executionId: string } & ApprovalView)
  | ({ readonly type: 'progress'; readonly executionId: string } & ProgressView)
  | ({ readonly type: 'artifact'; readonly executionId: string } & Omit<ArtifactView, 'key'>)
  | WatchOutcome;

/** The last line: how the execution ended, and the exit status `--exit-status` gives it. */
export interface WatchOutcome {
  readonly type: 'outcome';
  readonly executionId: string;
  readonly status: 'succeeded' | 'failed' | 'cancelled';
  readonly reason: string | null;
  readonly summary: string | null;
}

/** The events that take a reader from `previous` (nothing yet: undefined) to `next`. */
export function watchEvents(previous: WatchView | undefined, next: WatchView): WatchEvent[] {
  const executionId = next.execution.id;
  const events: WatchEvent[] = [];
  if (previous === undefined || same(withoutSteps(previous.execution)) !== same(withoutSteps(next.execution)))
    events.push({ type: 'execution', execution: next.execution });
  if (previous !== undefined) {
    for (const [stepId, step] of Object.entries(next.execution.steps)) {
      if (same(previous.execution.steps[stepId]) !== same(step))
        events.push({ type: 'step', executionId, stepId, step });
    }
  }
  const before = <T>(list: readonly T[] | undefined, key: (item: T) => string) =>
    new Map((list ?? []).map((item) => [key(item), same(item)]));
  const approvalKey = (a: ApprovalView) => `${a.stepId}:${a.visit}`;
  const approvals = before(previous?.approvals, approvalKey);
  for (const approval of next.approvals)
    if (approvals.get(approvalKey(approval)) !== same(approval))
      events.push({ type: 'approval', executionId, ...approval });
  const progressKey = (p: ProgressView) => `${p.stepId}/${p.attempt}`;
  const progress = before(previous?.progress, progressKey);
  for (const report of next.progress)
    if (progress.get(progressKey(report)) !== same(report)) events.push({ type: 'progress', executionId, ...report });
  const artifacts = before(previous?.artifacts, (a) => a.key);
  for (const { key, ...artifact } of next.artifacts)
    if (!artifacts.has(key)) events.push({ type: 'artifact', executionId, ...artifact });
  return events;
}

/** The outcome line of a finished execution. */
export function outcomeEvent(execution: Execution): WatchOutcome {
  return {
    type: 'outcome',
    executionId: execution.id,
    status: execution.status as WatchOutcome['status'],
    reason: execution.reason,
    summary: execution.summary ?? null,
  };
}

// `version` moves with every change, steps included: leaving it out keeps a step's change from also
// repeating the whole execution.
function withoutSteps(execution: Execution): Omit<Execution, 'steps' | 'version'> {
  const { steps: _steps, version: _version, ...rest } = execution;
  return rest;
}

/** A value's identity for comparison (the API's JSON keeps key order from one answer to the next). */
function same(value: unknown): string {
  return JSON.stringify(value) ?? 'undefined';
}
