import { GoneError, UnauthenticatedError } from '../../domain/errors.ts';
import { liveStatuses } from '../../domain/sessions/session.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Logger } from '../../ports/logger.ts';
import type { CallbackRecord, SandboxRunRecord, SandboxRunStore, SessionStore } from '../../ports/sessions.ts';
import { parseRunKey } from '../orchestrator/engine.ts';
import type { Hmac } from '../../ports/hmac.ts';
import { signatureHeaders, verifyCallback } from './callback-signature.ts';
import type { SandboxAgentRunner } from './sandbox-agent-runner.ts';
import {
  sandboxEventSchema,
  type ReportedArtifact,
  type SandboxCallback,
  type SandboxEvent,
} from './sandbox-event-schema.ts';
import type { SandboxRunEvent } from '../../ports/sandboxes.ts';
import { replaceUnstorable } from '../text-policy.ts';

/** What the callback handler needs. */
export interface SandboxEventDeps {
  readonly sessions: SessionStore;
  readonly runs: SandboxRunStore;
  readonly clock: Clock;
  /**
   * The machine's real wall clock, for the callback replay window only: the signature's timestamp
   * comes from the sandbox's clock, which a test moving `clock` (to expire leases) does not move.
   */
  readonly wallClock: Clock;
  readonly logger: Logger;
  readonly runner: Pick<SandboxAgentRunner, 'reportResult' | 'cancel'>;
  /** How long a heartbeat (or any callback) keeps the session's lease. */
  readonly leaseMs: number;
  /** Told about progress and artifacts after they are stored (to show them in the dashboard). */
  readonly onRunChanged?: (run: SandboxRunRecord, change: { progress?: unknown; artifact?: ReportedArtifact }) => void;
  /** The sessions' callback secrets, kept a moment (see `createSecretCache`). */
  readonly secrets: SecretCache;
  /** Checks callback signatures (default: WebCrypto). */
  readonly hmac?: Hmac;
}

type SessionSecret = NonNullable<Awaited<ReturnType<SessionStore['callbackSecret']>>>;

/** Callback secrets by session: `fresh` skips the cache. */
export interface SecretCache {
  get(sessionId: string, fresh?: boolean): Promise<SessionSecret | undefined>;
  /** The session changed (in this process): its next callback reads it again. */
  forget(sessionId: string): void;
  /**
   * The session changed in this process, to this: a cached entry takes its epoch and status (the
   * secret is the session's for life), so the next callback needs no read.
   */
  update(session: {
    readonly id: string;
    readonly epoch: number;
    readonly status: SessionSecret['status'];
    readonly executionId: string | null;
  }): void;
}

/**
 * Keeps each session's secret, epoch and status for `ttlMs` (30 s by default): a callback then costs
 * no read. Changes made in this process apply at once (`update`, or `forget`); a session another process
 * ended or replaced is refused within `ttlMs`, and until then its sandbox's writes are confined by the
 * store (a run or lease is only updated for the session's current epoch).
 */
export function createSecretCache(
  sessions: Pick<SessionStore, 'callbackSecret'>,
  clock: Clock,
  ttlMs = 30_000,
): SecretCache {
  const known = new Map<string, { value: SessionSecret | undefined; until: number }>();
  return {
    async get(sessionId, fresh = false) {
      const hit = known.get(sessionId);
      if (!fresh && hit !== undefined && hit.until > clock.now().getTime()) return hit.value;
      const value = await sessions.callbackSecret(sessionId);
      if (known.size > 10_000) known.clear();
      known.set(sessionId, { value, until: clock.now().getTime() + ttlMs });
      return value;
    },
    forget(sessionId) {
      known.delete(sessionId);
    },
    update(session) {
      const hit = known.get(session.id);
      if (hit?.value === undefined) return;
      known.set(session.id, {
        value: { ...hit.value, epoch: session.epoch, status: session.status, executionId: session.executionId },
        until: hit.until,
      });
    },
  };
}

/**
 * A signed callback from a sandbox (`POST /v1/sandbox-events`): one event or a batch, parsed and
 * validated by the HTTP edge (a body that does not parse is a 400 there); `rawBody` is what was
 * signed. Refused as a whole, changing nothing: an unknown session or a bad or stale signature
 * (401), a sandbox of an earlier epoch or an ended session (410: it was replaced and should stop).
 * A repeated event id is accepted and ignored. Events are handled in order; heartbeats, starts and
 * ends are written in batches with other callbacks (see `SandboxRunStore.recordPlain`), progress and
 * artifacts one statement each with their record.
 */
export async function receiveSandboxCallback(
  deps: SandboxEventDeps,
  callback: SandboxCallback,
  rawBody: string,
  headers: Readonly<Record<string, string | undefined>>,
): Promise<void> {
  const events = 'events' in callback ? callback.events : [callback];
  const first = events[0];
  if (first === undefined) return;
  const current = await authorize(deps, first, rawBody, headers);
  // Plain writes go through an ordered batcher: they need not be awaited one by one, so a run's
  // start and end that came together can share one statement. A failed one fails the callback
  // (answered 5xx, so the sandbox sends it again), after the others settled.
  const writes: Array<Promise<void>> = [];
  let failure: { error: unknown } | undefined;
  const pending = {
    push: (write: Promise<unknown>) =>
      void writes.push(
        write.then(
          () => undefined,
          (error: unknown) => void (failure ??= { error }),
        ),
      ),
  };
  try {
    for (const event of events) await handle(deps, current, event, pending);
  } finally {
    await Promise.all(writes);
  }
  if (failure !== undefined) throw failure.error;
}

/**
 * Events of one run that Baton fetched from the run's own sandbox (`GET …/runs/{key}/events`),
 * because their callbacks did not arrive: applied exactly like callbacks, in order and deduplicated by
 * event id (an event whose callback arrives too is stored once), with the same text policy. No
 * signature: Baton asked the sandbox itself. Only events of the run's session epoch count; the first
 * that does not parse stops the rest (a later one must not overtake it). Returns how many were applied.
 */
export async function applyPulledEvents(
  deps: SandboxEventDeps,
  run: { readonly runKey: string; readonly sessionId: string; readonly epoch: number; readonly executionId: string },
  pulled: readonly SandboxRunEvent[],
): Promise<number> {
  const writes: Array<Promise<void>> = [];
  let failure: { error: unknown } | undefined;
  const pending = {
    push: (write: Promise<unknown>) =>
      void writes.push(
        write.then(
          () => undefined,
          (error: unknown) => void (failure ??= { error }),
        ),
      ),
  };
  let applied = 0;
  try {
    for (const raw of pulled) {
      const parsed = sandboxEventSchema.safeParse(replaceUnstorable(raw));
      if (
        !parsed.success ||
        parsed.data.type === 'heartbeat' ||
        parsed.data.runKey !== run.runKey ||
        parsed.data.sessionId !== run.sessionId ||
        parsed.data.epoch !== run.epoch
      ) {
        deps.logger.warn(
          { runKey: run.runKey, seq: raw.seq, type: raw.type },
          'a fetched run event does not match the contract or its run; stopping there',
        );
        break;
      }
      // Fetched, not sent: says nothing about whether the sandbox is alive, so no lease is renewed.
      await handle(deps, { executionId: run.executionId }, parsed.data, pending, new Date(0));
      applied += 1;
    }
  } finally {
    await Promise.all(writes);
  }
  if (failure !== undefined) throw failure.error;
  return applied;
}

type Current = NonNullable<Awaited<ReturnType<SecretCache['get']>>>;

async function authorize(
  deps: SandboxEventDeps,
  event: SandboxEvent,
  rawBody: string,
  headers: Readonly<Record<string, string | undefined>>,
): Promise<Current> {
  let current = await deps.secrets.get(event.sessionId);
  // The cache may be a moment behind (a sandbox just replaced): decide refusals on fresh data only.
  if (current === undefined || current.epoch !== event.epoch || !liveStatuses.includes(current.status))
    current = await deps.secrets.get(event.sessionId, true);
  if (current === undefined) throw new UnauthenticatedError('The callback is not signed by a known session');
  // The replay window is about the sandbox's wall clock, not the clock that drives leases and the reaper.
  const problem = await verifyCallback(
    current.secret,
    rawBody,
    { timestamp: headers[signatureHeaders.timestamp], signature: headers[signatureHeaders.signature] },
    deps.wallClock.now().getTime(),
    deps.hmac,
  );
  if (problem === 'stale')
    throw new UnauthenticatedError('The callback timestamp is outside the five-minute replay window');
  if (problem !== null) throw new UnauthenticatedError('The callback signature is missing or wrong');
  // Signed by the session, but from a sandbox it no longer uses: tell it to stop.
  if (event.epoch !== current.epoch || !liveStatuses.includes(current.status))
    throw new GoneError('This sandbox was replaced or its session ended; stop sending and shut down');
  return current;
}

async function handle(
  deps: SandboxEventDeps,
  current: Pick<Current, 'executionId'>,
  event: SandboxEvent,
  pending: { push(write: Promise<unknown>): void },
  leaseUntil?: Date,
): Promise<void> {
  const now = deps.clock.now();
  const base = {
    event: {
      id: event.id,
      sessionId: event.sessionId,
      epoch: event.epoch,
      type: event.type,
      runKey: 'runKey' in event ? event.runKey : null,
      data: event.data,
      seq: 'seq' in event ? (event.seq ?? null) : null,
    },
    leaseUntil: leaseUntil ?? new Date(now.getTime() + deps.leaseMs),
  };
  if (event.type === 'heartbeat') {
    pending.push(deps.runs.recordPlain({ ...base, activeAt: null }));
    return;
  }
  // Only runs of this session's own execution: a sandbox cannot report on another's work.
  const ours = current.executionId !== null && parseRunKey(event.runKey)?.executionId === current.executionId;
  if (event.type === 'run.started') {
    pending.push(deps.runs.recordPlain({ ...base, activeAt: now, ...(ours ? { startsRun: event.runKey } : {}) }));
    return;
  }
  const write = (run: CallbackRecord['run'], artifact?: CallbackRecord['artifact']) =>
    deps.runs.recordCallback({
      ...base,
      activeAt: now,
      ...(ours && run !== undefined ? { run } : {}),
      ...(ours && artifact !== undefined ? { artifact } : {}),
    });
  switch (event.type) {
    case 'run.progress': {
      const progress = { message: event.data.message, percent: event.data.percent ?? null, at: event.at };
      const { fresh, run } = await write({
        runKey: event.runKey,
        patch: { progress, ...(event.data.costUsd === undefined ? {} : { costUsd: event.data.costUsd }) },
      });
      if (!fresh || run === undefined) return;
      deps.onRunChanged?.(run, { progress });
      if (run.maxCostUsd !== null && run.costUsd > run.maxCostUsd) await overBudget(deps, run, run.costUsd);
      return;
    }
    case 'run.artifact': {
      const { artifactId, kind, title } = event.data;
      const { fresh, run } = await write(
        { runKey: event.runKey, patch: {} },
        { artifactId, kind, title, url: event.data.url ?? null, content: event.data.content ?? null },
      );
      if (fresh && run !== undefined) deps.onRunChanged?.(run, { artifact: event.data });
      return;
    }
    case 'run.completed':
    case 'run.failed': {
      const costUsd = event.data.costUsd ?? 0;
      // The orchestrator hears first, then the run is recorded as ended: a crash in between leaves
      // the run open, and the sandbox's retry (or the reaper) reports it again; the engine ignores
      // a result it no longer waits for.
      if (ours) {
        if (event.type === 'run.completed')
          await deps.runner.reportResult({
            key: event.runKey,
            outcome: 'succeeded',
            output: event.data.output ?? null,
          });
        else
          await deps.runner.reportResult({
            key: event.runKey,
            outcome: 'failed',
            error: event.data.error,
            retryable: event.data.retryable,
          });
      }
      const ended =
        event.type === 'run.completed'
          ? { status: 'succeeded' as const, output: event.data.output ?? null, error: null }
          : { status: 'failed' as const, output: null, error: event.data.error };
      pending.push(
        deps.runs.recordPlain({
          ...base,
          activeAt: now,
          ...(ours ? { endsRun: { runKey: event.runKey, ...ended, costUsd } } : {}),
        }),
      );
      return;
    }
  }
}

/** A run that reported more cost than its profile allows is cancelled and fails. */
async function overBudget(deps: SandboxEventDeps, run: SandboxRunRecord, costUsd: number): Promise<void> {
  deps.logger.info({ runKey: run.runKey, costUsd, maxCostUsd: run.maxCostUsd }, 'run over its cost limit; cancelling');
  const error = `the run cost $${costUsd.toFixed(2)}, over its profile's limit of $${(run.maxCostUsd ?? 0).toFixed(2)}`;
  await deps.runner.reportResult({ key: run.runKey, outcome: 'failed', error, retryable: false });
  await deps.runner.cancel(run.runKey);
}
