/**
 * What a retention pass prunes besides the detail of finished executions, each in batches
 * (docs/retention.md says what each kind is and what is kept):
 * - `sandbox-events`: callbacks received from sandboxes (heartbeats and run events), except the run
 *   events of an execution that has not finished;
 * - `schedule-fires`: the record of each schedule fire, except the fire a schedule still queues
 *   and those whose execution has not finished;
 * - `inbound-events`: trigger payloads (webhook deliveries) and what each trigger did with them,
 *   except those that started an execution that has not finished;
 * - `browser-sessions`: sign-in sessions that expired or were revoked;
 * - `login-attempts`: started logins that expired;
 * - `device-authorizations`: device sign-ins (RFC 8628) whose codes expired, decided or not;
 * - `signing-keys`: keys of terminal tokens that expired (no token they signed is still valid);
 * - `audit-log`: audit entries;
 * - `api-tokens`: tokens that expired or were revoked;
 * - `idempotency-keys`: remembered answers past their window (they are no longer used);
 * - `executions`: finished executions themselves, with whatever is left of their detail.
 */
export type PrunableKind =
  | 'sandbox-events'
  | 'schedule-fires'
  | 'inbound-events'
  | 'browser-sessions'
  | 'login-attempts'
  | 'device-authorizations'
  | 'signing-keys'
  | 'audit-log'
  | 'api-tokens'
  | 'idempotency-keys'
  | 'executions';

/** A page of finished executions whose detail a pass prunes next, in (finished at, id) order. */
export interface FinishedPage {
  /** Their ids. */
  readonly ids: readonly string[];
  /** Where the page ends (the store's own notation): saved with `markExecutionsDone` once their detail is gone. */
  readonly end: { readonly finishedAt: string; readonly id: string };
}

/** The right to run the installation's retention pass, held until released or its lease runs out. */
export interface RetentionClaim {
  /** Extends the lease to `until` (a long pass keeps it while it works). */
  renew(until: Date): Promise<void>;
  /** Gives the lease back, recording when the pass ended. */
  release(at: Date): Promise<void>;
}

/**
 * Batched deletes of old rows. Every delete is one short statement of at most `limit` rows, so no
 * lock is held for long; each statement checks again, as of its own snapshot, that nothing an
 * unfinished execution needs is among its rows.
 */
export interface RetentionStore {
  /**
   * Takes the installation-wide lease for a pass: undefined when another holder's lease runs past
   * `now`, or when the last pass started less than `everyMs` before `now`. At most one pass at a time,
   * whichever instance asks.
   */
  claim(input: {
    readonly now: Date;
    readonly everyMs: number;
    readonly leaseUntil: Date;
  }): Promise<RetentionClaim | undefined>;
  /**
   * Deletes at most `limit` rows of `kind` that ended (or were received, or written) before `before`; returns how many.
   */
  prune(kind: PrunableKind, before: Date, limit: number): Promise<number>;
  /**
   * The next finished executions (at most `limit`) after the point `markExecutionsDone` saved,
   * that finished before `before`; undefined when there are none.
   */
  finishedExecutions(before: Date, limit: number): Promise<FinishedPage | undefined>;
  /**
   * Deletes at most `limit` rows of these executions' detail (sandbox events, artifacts, sandbox runs,
   * ended sandbox sessions, history entries), only of those that are still finished before `before`;
   * returns how many. Call it until it returns 0.
   */
  pruneExecutionDetail(ids: readonly string[], before: Date, limit: number): Promise<number>;
  /** Saves how far execution detail has been pruned: the next pass starts after `end`. */
  markExecutionsDone(end: FinishedPage['end']): Promise<void>;
}
