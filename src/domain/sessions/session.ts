/**
 * A session: one sandbox slot as Baton sees it, for an execution's agent steps or a dashboard's
 * terminal. Its sandbox can be replaced (a higher epoch); callbacks carry the epoch, so a replaced
 * sandbox's reports are refused.
 *
 * requested → provisioning → ready ⇄ idle → stopping → ended; any live state but requested → lost
 * (lease ran out, the provider says it is gone); requested or provisioning → failed (too slow, or
 * the sandbox could not be created) or → stopping (deleted, its execution finished). An ended, lost
 * or failed session whose owner needs a sandbox again is provisioned anew with epoch + 1. The
 * machine itself is `sessionEvents` (session-machine.ts): transitions read their "from" lists there.
 */
export type SessionStatus = 'requested' | 'provisioning' | 'ready' | 'idle' | 'stopping' | 'ended' | 'lost' | 'failed';

/** What the session is for. */
export type SessionPurpose = 'execution' | 'terminal';

/** A session as stored. Times are epoch milliseconds. */
export interface Session {
  readonly id: string;
  readonly workspaceId: string;
  readonly dashboardId: string;
  readonly executionId: string | null;
  readonly purpose: SessionPurpose;
  readonly status: SessionStatus;
  readonly epoch: number;
  readonly sandboxId: string | null;
  readonly sandboxUrl: string | null;
  /** Where this epoch's sandbox runs, as its provider reported it (e.g. a Fly region); null when unknown. */
  readonly region: string | null;
  readonly leaseExpiresAt: number | null;
  readonly lastActiveAt: number;
  readonly epochStartedAt: number | null;
  readonly readyAt: number | null;
  readonly endedAt: number | null;
  readonly endedReason: string | null;
  readonly createdAt: number;
}

/** Statuses in which a session holds (or is getting) a sandbox: they count against the workspace limit. */
export const liveStatuses: readonly SessionStatus[] = ['requested', 'provisioning', 'ready', 'idle', 'stopping'];

/** True when the session has a sandbox that takes work. */
export const isUsable = (session: Session): boolean =>
  (session.status === 'ready' || session.status === 'idle') && session.sandboxUrl !== null;

/** True when the session is live (holds or is getting a sandbox). */
export const isLive = (session: Session): boolean => liveStatuses.includes(session.status);

/** Limits that keep sandboxes from costing money for nothing. */
export interface SessionPolicy {
  /** A session with no work (no run in flight, no terminal viewer) is stopped after this long. */
  readonly idleMs: number;
  /** A sandbox is replaced or stopped after this long, once no run is in flight. */
  readonly maxLifetimeMs: number;
  /** A sandbox that has not sent a heartbeat for this long is lost. */
  readonly leaseMs: number;
  /** Provisioning that takes longer than this has failed. */
  readonly provisionTimeoutMs: number;
}

/** What the reaper should do with a session now. */
export type ReapDecision =
  | { readonly action: 'keep' }
  | { readonly action: 'touch' }
  | { readonly action: 'stop'; readonly reason: 'idle' | 'lifetime' }
  | { readonly action: 'lose'; readonly reason: string }
  | { readonly action: 'fail'; readonly reason: string };

/**
 * The reaper's rule for one session at `now`, knowing how many of its runs are in flight and how
 * many people look at its dashboard (viewers keep a terminal session alive).
 */
export function reapDecision(
  session: Session,
  now: number,
  load: { runsInFlight: number; viewers: number },
  policy: SessionPolicy,
): ReapDecision {
  if (session.status === 'provisioning' || session.status === 'requested') {
    const since = session.epochStartedAt ?? session.createdAt;
    return now - since > policy.provisionTimeoutMs
      ? { action: 'fail', reason: `provisioning took longer than ${Math.round(policy.provisionTimeoutMs / 1000)} s` }
      : { action: 'keep' };
  }
  if (!isUsable(session)) return { action: 'keep' };
  if (session.leaseExpiresAt !== null && now > session.leaseExpiresAt)
    return { action: 'lose', reason: 'no heartbeat within the lease' };
  const busy = load.runsInFlight > 0 || (session.purpose === 'terminal' && load.viewers > 0);
  if (busy)
    return session.purpose === 'terminal' && load.runsInFlight === 0 && now - session.lastActiveAt > policy.idleMs / 2
      ? { action: 'touch' }
      : { action: 'keep' };
  if (session.epochStartedAt !== null && now - session.epochStartedAt > policy.maxLifetimeMs)
    return { action: 'stop', reason: 'lifetime' };
  if (now - session.lastActiveAt > policy.idleMs) return { action: 'stop', reason: 'idle' };
  return { action: 'keep' };
}
