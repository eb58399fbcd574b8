import type { SessionStatus } from './session.ts';

/**
 * The session state machine: what may happen to a session, as one table that the use cases and
 * the reaper read their compare-and-set "from" lists out of (see `SessionStore.transition`).
 *
 * - `provision`: `requested`, `ended`, `lost`, `failed` → `provisioning`, and only this one begins
 *   a new epoch (a finished session comes back only with a new sandbox).
 * - `provisioned`: `provisioning` → `ready` (the sandbox is up).
 * - `idled`: `ready` → `idle` (no run, no viewer); `activity`: `idle` → `ready` (work happened).
 * - `stop`: `requested`, `provisioning`, `ready`, `idle` → `stopping`; `stopped`: `stopping` → `ended`.
 * - `lose`: `provisioning`, `ready`, `idle`, `stopping` → `lost` (no heartbeat within the lease, the
 *   provider says it is gone). A `requested` session has no sandbox to lose.
 * - `fail`: `requested`, `provisioning` → `failed` (creating the sandbox failed or took too long).
 */
export const sessionEvents = {
  provision: { from: ['requested', 'ended', 'lost', 'failed'], to: 'provisioning', newEpoch: true },
  provisioned: { from: ['provisioning'], to: 'ready', newEpoch: false },
  idled: { from: ['ready'], to: 'idle', newEpoch: false },
  activity: { from: ['idle'], to: 'ready', newEpoch: false },
  stop: { from: ['requested', 'provisioning', 'ready', 'idle'], to: 'stopping', newEpoch: false },
  stopped: { from: ['stopping'], to: 'ended', newEpoch: false },
  lose: { from: ['provisioning', 'ready', 'idle', 'stopping'], to: 'lost', newEpoch: false },
  fail: { from: ['requested', 'provisioning'], to: 'failed', newEpoch: false },
} as const satisfies Record<
  string,
  { readonly from: readonly SessionStatus[]; readonly to: SessionStatus; readonly newEpoch: boolean }
>;

/** Something that happens to a session (see `sessionEvents`). */
export type SessionEvent = keyof typeof sessionEvents;

/** Every status, in the order a session usually goes through them. */
export const sessionStatuses: readonly SessionStatus[] = [
  'requested',
  'provisioning',
  'ready',
  'idle',
  'stopping',
  'ended',
  'lost',
  'failed',
];

/** Statuses a session rests in until it is provisioned anew (with a new epoch). */
export const finishedStatuses: readonly SessionStatus[] = ['ended', 'lost', 'failed'];

const events = Object.keys(sessionEvents) as SessionEvent[];

/** Whether `event` may happen to a session at `status`. */
export const canHappen = (event: SessionEvent, status: SessionStatus): boolean =>
  (sessionEvents[event].from as readonly SessionStatus[]).includes(status);

/** The status `event` moves a session at `status` to, or undefined when it may not happen there. */
export const afterEvent = (status: SessionStatus, event: SessionEvent): SessionStatus | undefined =>
  canHappen(event, status) ? sessionEvents[event].to : undefined;

/** Whether some event moves a session from `from` to `to`. */
export const canTransition = (from: SessionStatus, to: SessionStatus): boolean =>
  events.some((event) => sessionEvents[event].to === to && canHappen(event, from));

/**
 * The statuses a session may move to `to` from: the "from" list of a compare-and-set transition
 * into `to` (`SessionStore.transition`, `beginProvisioning`).
 */
export const transitionsInto = (to: SessionStatus): readonly SessionStatus[] =>
  sessionStatuses.filter((from) => canTransition(from, to));
