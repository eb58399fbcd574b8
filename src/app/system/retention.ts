import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Timers } from '../../ports/timers.ts';
import type { PrunableKind, RetentionClaim, RetentionStore } from '../../ports/retention.ts';

/** How long things are kept, in days; null keeps them forever (docs/retention.md). */
export interface RetentionPolicy {
  /**
   * A finished execution's detail: history entries, sandbox runs and their events,
   * artifacts, its ended sandbox session.
   */
  readonly executionDays: number | null;
  /** A finished execution itself (its status, steps and outputs as the API shows them). */
  readonly executionRecordDays: number | null;
  /**
   * Sandbox events and heartbeats, schedule fires, trigger payloads, ended browser sessions, expired
   * logins and device sign-ins, and signing keys.
   */
  readonly eventDays: number | null;
  /** The audit log, and API tokens that expired or were revoked (so entries keep naming their token). */
  readonly auditDays: number | null;
  /** How often a pass runs, across all instances. */
  readonly intervalMs: number;
  /** Rows per delete statement. */
  readonly batchSize: number;
}

/** What retention needs. */
export interface RetentionDeps {
  readonly store: RetentionStore;
  readonly clock: Clock;
  /** Counts the pause between batches. */
  readonly timers: Timers;
  readonly logger: Logger;
  readonly policy: RetentionPolicy;
  /** How long an idempotency key is remembered; older ones are never used again, whatever the policy. */
  readonly idempotencyWindowMs: number;
  /** Pause between two batches, so other work gets the table in between. */
  readonly pauseMs?: number;
  /** Ends the pass after the batch in flight (a shutdown); what is left waits for the next pass. */
  readonly signal?: AbortSignal;
}

/** Rows deleted by one pass, by kind (`execution-detail` counts every table of it). */
export type RetentionReport = Readonly<Partial<Record<PrunableKind | 'execution-detail', number>>>;

const dayMs = 86_400_000;
/** A pass renews its lease as it goes; a crashed one frees it after this. */
const leaseMs = 10 * 60_000;

/**
 * One retention pass at the clock's now, unless another instance runs one or (without `force`) the
 * last began less than an interval ago: then undefined. Deletes in batches of `batchSize`, pausing
 * between them, and never what an unfinished execution needs (the store's statements check it).
 */
export async function pruneOnce(
  deps: RetentionDeps,
  options: { readonly force?: boolean } = {},
): Promise<RetentionReport | undefined> {
  const now = deps.clock.now();
  const claim = await deps.store.claim({
    now,
    everyMs: options.force === true ? 0 : deps.policy.intervalMs,
    leaseUntil: new Date(now.getTime() + leaseMs),
  });
  if (claim === undefined) return undefined;
  try {
    const report = await pass(deps, claim, now);
    const total = Object.values(report).reduce((sum, n) => sum + n, 0);
    if (total > 0) deps.logger.info({ deleted: report }, 'retention pass pruned old rows');
    return report;
  } finally {
    await claim
      .release(deps.clock.now())
      .catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'could not release the retention lease; it runs out by itself'),
      );
  }
}

async function pass(deps: RetentionDeps, claim: RetentionClaim, now: Date): Promise<RetentionReport> {
  const { policy, store } = deps;
  const report: Partial<Record<PrunableKind | 'execution-detail', number>> = {};
  const before = (days: number | null) => (days === null ? undefined : new Date(now.getTime() - days * dayMs));
  let renewedAt = now.getTime();
  const between = async () => {
    if ((deps.pauseMs ?? 0) > 0) await deps.timers.sleep(deps.pauseMs ?? 0);
    const at = deps.clock.now().getTime();
    if (at - renewedAt > leaseMs / 2) {
      renewedAt = at;
      await claim.renew(new Date(at + leaseMs));
    }
  };
  const stopped = () => deps.signal?.aborted === true;
  const drain = async (kind: PrunableKind, cutoff: Date | undefined) => {
    if (cutoff === undefined) return;
    while (!stopped()) {
      const deleted = await store.prune(kind, cutoff, policy.batchSize);
      report[kind] = (report[kind] ?? 0) + deleted;
      if (deleted < policy.batchSize) return;
      await between();
    }
  };

  // Detail first, page by page of executions, so that deleting an execution later cascades to little.
  // A record kept for fewer days than its detail takes its detail with it: prune that sooner too.
  const recordCutoff = before(policy.executionRecordDays);
  const detailCutoff = [before(policy.executionDays), recordCutoff]
    .filter((d) => d !== undefined)
    .sort((a, b) => b.getTime() - a.getTime())[0];
  if (detailCutoff !== undefined) {
    for (
      let page = await store.finishedExecutions(detailCutoff, policy.batchSize);
      page !== undefined && !stopped();
      page = await store.finishedExecutions(detailCutoff, policy.batchSize)
    ) {
      let deleted: number;
      do {
        deleted = await store.pruneExecutionDetail(page.ids, detailCutoff, policy.batchSize);
        report['execution-detail'] = (report['execution-detail'] ?? 0) + deleted;
        if (deleted > 0) await between();
      } while (deleted > 0 && !stopped());
      // Only a page whose detail is all gone counts as done: a stopped pass does it again.
      if (deleted === 0) await store.markExecutionsDone(page.end);
    }
  }
  await drain('executions', recordCutoff);
  const events = before(policy.eventDays);
  for (const kind of [
    'sandbox-events',
    'schedule-fires',
    'inbound-events',
    'browser-sessions',
    'login-attempts',
    'device-authorizations',
    'signing-keys',
  ] as const)
    await drain(kind, events);
  const audit = before(policy.auditDays);
  for (const kind of ['audit-log', 'api-tokens'] as const) await drain(kind, audit);
  await drain('idempotency-keys', new Date(now.getTime() - deps.idempotencyWindowMs));
  return report;
}
