import { isFinishedStatus, type ExecutionState } from '../orchestrator/execution.ts';

/**
 * What a fire does while the schedule's previous execution is still unfinished: `skip` it, keep it
 * as the one `queue-one` fire that starts when the previous finishes (a newer fire replaces it),
 * `allow` both, `cancel-previous` and start, or `skip-while-working`: skip while the previous run has
 * work under way, but start when it only waits for a person (an approval, or paused by someone).
 */
export type OverlapPolicy = 'skip' | 'queue-one' | 'allow' | 'cancel-previous' | 'skip-while-working';
export const overlapPolicies: readonly OverlapPolicy[] = [
  'skip',
  'queue-one',
  'allow',
  'cancel-previous',
  'skip-while-working',
];

/**
 * Fires missed while Baton was not running (or the schedule could not fire): run none, the latest,
 * or all up to `limit`.
 */
export interface CatchUp {
  readonly mode: 'none' | 'latest' | 'all';
  /** With `all`: at most this many missed fires run (the newest ones). */
  readonly limit: number;
}

/** Where the schedule's previous execution stands. */
export type PreviousRun = 'none' | 'finished' | 'working' | 'waiting-for-human';

/** What one fire does about the previous execution. */
export type OverlapDecision = 'start' | 'skip' | 'queue' | 'cancel-previous';

/** A due fire time and whether it runs (else why not). */
export interface PlannedFire {
  readonly fireAt: Date;
  readonly run: boolean;
  readonly reason: string | null;
}

/**
 * Which due fires run. A fire handled within `graceMs` of its time is on time and runs; older ones
 * were missed and follow the catch-up policy. `latest` runs the newest missed fire unless an on-time
 * fire runs with it (that one is the latest); `all` runs the newest `limit` missed fires in order.
 */
export function planDueFires(due: readonly Date[], now: Date, catchUp: CatchUp, graceMs: number): PlannedFire[] {
  const missed = due.filter((d) => now.getTime() - d.getTime() > graceMs);
  const onTime = due.length - missed.length;
  const runs = new Set<Date>();
  if (catchUp.mode === 'latest' && onTime === 0 && missed.length > 0) runs.add(missed[missed.length - 1] as Date);
  if (catchUp.mode === 'all') for (const d of missed.slice(-catchUp.limit)) runs.add(d);
  const why =
    catchUp.mode === 'none'
      ? 'missed (catch-up: none)'
      : catchUp.mode === 'latest'
        ? 'missed (catch-up: latest; a later fire ran instead)'
        : `missed (catch-up: all, at most ${catchUp.limit})`;
  return due.map((fireAt) => {
    const isMissed = now.getTime() - fireAt.getTime() > graceMs;
    if (!isMissed || runs.has(fireAt)) return { fireAt, run: true, reason: null };
    return { fireAt, run: false, reason: why };
  });
}

/** The overlap policy's answer for one fire. */
export function overlapDecision(policy: OverlapPolicy, previous: PreviousRun): OverlapDecision {
  if (previous === 'none' || previous === 'finished' || policy === 'allow') return 'start';
  switch (policy) {
    case 'skip':
      return 'skip';
    case 'queue-one':
      return 'queue';
    case 'cancel-previous':
      return 'cancel-previous';
    case 'skip-while-working':
      return previous === 'working' ? 'skip' : 'start';
  }
}

/**
 * Where an execution stands for overlap purposes: waiting for a person means paused, or waiting with
 * every waiting step an approval. A timer or an awaited event counts as work under way.
 */
export function previousRunOf(state: ExecutionState, stepKind: (stepId: string) => string | undefined): PreviousRun {
  if (isFinishedStatus(state.status)) return 'finished';
  if (state.status === 'paused') return 'waiting-for-human';
  if (state.status !== 'waiting') return 'working';
  const waiting = state.active.filter((id) => state.steps[id]?.status === 'waiting');
  return waiting.length > 0 && waiting.every((id) => stepKind(id) === 'approval') ? 'waiting-for-human' : 'working';
}
