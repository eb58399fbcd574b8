import type { Session, SessionPurpose, SessionStatus } from '../domain/sessions/session.ts';
import type { RunRequest } from './agent-runner.ts';
import type { Transaction } from './unit-of-work.ts';

/** Who a session works for: an execution's agent steps, or a dashboard's terminal. */
export interface SessionOwner {
  readonly workspaceId: string;
  readonly dashboardId: string;
  readonly executionId: string | null;
  readonly purpose: SessionPurpose;
}

/** A run waiting for a sandbox slot, with the request that starts it once its session has one. */
export interface SlotWaiter {
  readonly runKey: string;
  readonly request: RunRequest;
}

/**
 * What asking for a sandbox slot gave: `granted` (the session is now `provisioning`, epoch + 1),
 * `queued` (the run waits at this position: 1 is next), `refused` (no slot and nothing to queue),
 * or `taken` (another caller began provisioning this session first).
 */
export type SlotClaim =
  | { readonly kind: 'granted'; readonly session: Session }
  | { readonly kind: 'queued'; readonly position: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'taken' };

/** Sessions in Postgres. Transitions are compare-and-set on (status, epoch): concurrent callers cannot both win. */
export interface SessionStore {
  /** The owner's session, created as `requested` (epoch 0) when it has none. */
  ensure(owner: SessionOwner, callbackSecret: string): Promise<Session>;
  get(id: string): Promise<Session | undefined>;
  /** The execution's session, if it ever had one. */
  byExecution(executionId: string): Promise<Session | undefined>;
  /** Sessions of a dashboard, newest first. */
  listByDashboard(dashboardId: string): Promise<Session[]>;
  /** Every live session (for the reaper). */
  listLive(): Promise<Session[]>;
  /**
   * Starts provisioning a new sandbox: epoch + 1, status `provisioning`; only if the session is still
   * at `from` (status and epoch). The callback secret stays the session's: a replaced sandbox can
   * still prove who it is, and be told (410) that it was replaced. Returns the updated session or undefined.
   */
  beginProvisioning(
    id: string,
    from: { status: SessionStatus; epoch: number },
    now: Date,
  ): Promise<Session | undefined>;
  /** The sandbox is up: `ready`, with its handle and a first lease. Only for the current epoch while provisioning. */
  markReady(
    id: string,
    epoch: number,
    sandbox: { sandboxId: string; url: string; region?: string },
    leaseUntil: Date,
    now: Date,
  ): Promise<Session | undefined>;
  /** Moves the session from one of `from` to `to` for this epoch (ends, losses, stops, idling). */
  transition(
    id: string,
    epoch: number,
    from: readonly SessionStatus[],
    to: SessionStatus,
    now: Date,
    reason?: string,
  ): Promise<Session | undefined>;
  /** A heartbeat: extends the lease of the current epoch. */
  extendLease(id: string, epoch: number, leaseUntil: Date, tx?: Transaction): Promise<void>;
  /** Work happened: the session is not idle (`idle` → `ready`). */
  touch(id: string, now: Date, tx?: Transaction): Promise<void>;
  /**
   * Asks for a sandbox slot for the session (at `session.status`/`session.epoch`), first come first
   * served per workspace, atomically across instances: granted (and provisioning begun) when the
   * workspace holds fewer than `limit` sandboxes and no other session waits ahead of this one;
   * otherwise `waiter` (if given) joins the queue, keeping the place it had if it already waited.
   */
  claimSlot(session: Session, limit: number, now: Date, waiter?: SlotWaiter): Promise<SlotClaim>;
  /** The session first in the workspace's queue that holds no slot yet, with its waiting runs (oldest first). */
  queueHead(workspaceId: string): Promise<{ session: Session; waiters: SlotWaiter[] } | undefined>;
  /** Sessions that hold a usable sandbox but still have waiting runs (their start was interrupted). */
  grantedWaiters(limit: number): Promise<Array<{ session: Session; waiters: SlotWaiter[] }>>;
  /** Workspaces with runs waiting for a slot. */
  waitingWorkspaces(): Promise<string[]>;
  /** How many sessions of the workspace wait for a slot. */
  waitingSessions(workspaceId: string): Promise<number>;
  /** Forgets waiting runs: those given, or all of an execution's. */
  dropWaiters(which: { runKeys: readonly string[] } | { executionId: string }): Promise<void>;
  /** Forgets waiting runs that were started (their run is recorded); with no keys, every such row. */
  dropStarted(runKeys?: readonly string[]): Promise<void>;
  /** The place in its workspace's queue of the execution's session (1: next), or undefined when it does not wait. */
  queuePosition(executionId: string): Promise<number | undefined>;
  /**
   * Execution sessions of the workspace with a sandbox, no run in flight and nothing
   * waiting, least recently active first.
   */
  idleHolders(workspaceId: string): Promise<Session[]>;
  /** The per-session secret callbacks of this epoch are signed with. */
  callbackSecret(
    id: string,
  ): Promise<{ secret: string; epoch: number; status: SessionStatus; executionId: string | null } | undefined>;
}

/** Status of a run as Baton tracks it. */
export type RunStatus = 'dispatched' | 'running' | 'succeeded' | 'failed' | 'lost' | 'cancelled';

/** A run dispatched to a sandbox. */
export interface SandboxRunRecord {
  readonly runKey: string;
  readonly sessionId: string;
  readonly epoch: number;
  readonly executionId: string;
  readonly stepId: string;
  readonly attempt: number;
  readonly status: RunStatus;
  readonly progress: unknown;
  readonly costUsd: number;
  readonly maxCostUsd: number | null;
  readonly output: unknown;
  readonly error: string | null;
  readonly updatedAt: number;
}

/** An artifact a run reported. */
export interface ArtifactRecord {
  readonly runKey: string;
  readonly artifactId: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly kind: string;
  readonly title: string;
  readonly url: string | null;
  readonly content: string | null;
  readonly createdAt: number;
}

/** What a callback writes. */
export interface CallbackRecord {
  /** `seq`: the event's place in its run (1, 2, …), when the sandbox says. */
  readonly event: {
    readonly id: string;
    readonly sessionId: string;
    readonly epoch: number;
    readonly type: string;
    readonly runKey: string | null;
    readonly data: unknown;
    readonly seq?: number | null;
  };
  /** The session's new lease end (a lease is never shortened: an earlier time leaves it as it is). */
  readonly leaseUntil: Date;
  /** Set when the callback shows work (the session is not idle). */
  readonly activeAt: Date | null;
  readonly run?: {
    readonly runKey: string;
    readonly patch: Partial<Pick<SandboxRunRecord, 'status' | 'progress' | 'costUsd' | 'output' | 'error'>>;
  };
  readonly artifact?: Pick<ArtifactRecord, 'artifactId' | 'kind' | 'title' | 'url' | 'content'>;
}

/** A callback with no progress or artifact (see `SandboxRunStore.recordPlain`). */
export interface PlainCallbackRecord extends Omit<CallbackRecord, 'run' | 'artifact'> {
  /** The dispatched run this callback says has started. */
  readonly startsRun?: string;
  /** The run this callback says has ended, and how. */
  readonly endsRun?: {
    readonly runKey: string;
    readonly status: 'succeeded' | 'failed';
    readonly output: unknown;
    readonly error: string | null;
    readonly costUsd: number;
  };
}

/** Runs, callbacks received and artifacts. */
export interface SandboxRunStore {
  /** Records a dispatch (idempotent by key: a known key keeps its row, which is returned). */
  dispatched(
    run: Pick<SandboxRunRecord, 'runKey' | 'sessionId' | 'epoch' | 'executionId' | 'stepId' | 'attempt' | 'maxCostUsd'>,
  ): Promise<SandboxRunRecord>;
  get(runKey: string, tx?: Transaction): Promise<SandboxRunRecord | undefined>;
  /** Runs of a session still dispatched or running. */
  inFlight(sessionId: string): Promise<SandboxRunRecord[]>;
  /** Runs dispatched or running that have not changed since `before` (the reaper asks their sandbox). */
  stale(before: Date): Promise<SandboxRunRecord[]>;
  /** Updates a run unless it already ended (`succeeded`, `failed`, `lost`, `cancelled`); true when it changed. */
  update(
    runKey: string,
    patch: Partial<Pick<SandboxRunRecord, 'status' | 'progress' | 'costUsd' | 'output' | 'error'>>,
    tx?: Transaction,
  ): Promise<boolean>;
  /**
   * Applies a signed callback in one statement: records it by its id (a repeated id changes nothing),
   * extends the session's lease, and updates the run it is about (only if that run is open and was
   * dispatched to this session epoch), storing an artifact with it. Returns whether the callback was
   * new, and the run as updated (undefined when nothing matched).
   */
  recordCallback(input: CallbackRecord): Promise<{ fresh: boolean; run: SandboxRunRecord | undefined }>;
  /**
   * Records a callback that renews the lease and at most starts or ends a run of this session epoch:
   * a heartbeat, `run.started` (`startsRun`), `run.completed` or `run.failed` (`endsRun`). Such
   * callbacks may be written together with others arriving at the same moment. Returns whether the
   * callback was new.
   */
  recordPlain(input: PlainCallbackRecord): Promise<boolean>;
  /**
   * How far Baton holds the run's events without a gap: the highest `n` such that events 1 … n are
   * all stored (0: none). Recovery asks the sandbox for the events after it.
   */
  eventCursor(runKey: string): Promise<number>;
  /** An execution's artifacts, oldest first. */
  artifacts(executionId: string): Promise<ArtifactRecord[]>;
}
