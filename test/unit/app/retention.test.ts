import { afterEach, describe, expect, it, vi } from 'vitest';
import { pruneOnce, type RetentionDeps, type RetentionPolicy } from '../../../src/app/system/retention.ts';
import { startRetention } from '../../../src/main/retention-wiring.ts';
import type { FinishedPage, PrunableKind, RetentionStore } from '../../../src/ports/retention.ts';
import { silentLogger } from '../../support/silent-logger.ts';
import { systemTimers } from '../../../src/adapters/clock/system-timers.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const policy: RetentionPolicy = {
  executionDays: 90,
  executionRecordDays: null,
  eventDays: 30,
  auditDays: 365,
  intervalMs: 3_600_000,
  batchSize: 10,
};
const dayMs = 86_400_000;
const now = new Date('2026-06-01T00:00:00Z');

/** A store over counts of rows per kind (all old enough), with a lease like Postgres's. */
function fakeStore(
  rows: Partial<Record<PrunableKind, number>>,
  detail: { pages: string[][]; rowsPerPage: number } = { pages: [], rowsPerPage: 0 },
) {
  const left = { ...rows };
  const calls: string[] = [];
  let lease: { until: number; startedAt: number } | undefined;
  let done = 0;
  const detailLeft = detail.pages.map(() => detail.rowsPerPage);
  const store: RetentionStore = {
    async claim({ now: at, everyMs, leaseUntil }) {
      if (
        lease !== undefined &&
        (lease.until > at.getTime() || (everyMs > 0 && lease.startedAt > at.getTime() - everyMs))
      )
        return undefined;
      lease = { until: leaseUntil.getTime(), startedAt: at.getTime() };
      return {
        renew: async (until) => void (lease = { ...lease!, until: until.getTime() }),
        release: async () => void (lease = { ...lease!, until: 0 }),
      };
    },
    async prune(kind, before, limit) {
      calls.push(`${kind}<${before.toISOString().slice(0, 10)}`);
      const n = Math.min(left[kind] ?? 0, limit);
      left[kind] = (left[kind] ?? 0) - n;
      return n;
    },
    async finishedExecutions(): Promise<FinishedPage | undefined> {
      const ids = detail.pages[done];
      return ids === undefined ? undefined : { ids, end: { finishedAt: String(done), id: ids.at(-1) ?? '' } };
    },
    async pruneExecutionDetail(ids, _before, limit) {
      const n = Math.min(detailLeft[done] ?? 0, limit);
      detailLeft[done] = (detailLeft[done] ?? 0) - n;
      calls.push(`detail ${ids.join(',')} ${n}`);
      return n;
    },
    async markExecutionsDone() {
      done += 1;
    },
  };
  return { store, left, calls };
}
const deps = (store: RetentionStore, extra: Partial<RetentionDeps> = {}): RetentionDeps => ({
  store,
  clock: { now: () => now },
  timers: systemTimers,
  logger: silentLogger,
  policy,
  idempotencyWindowMs: dayMs,
  ...extra,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('a retention pass', () => {
  it('deletes in batches until a batch comes back short, with each kind at its own cutoff', async () => {
    const { store, left, calls } = fakeStore({ 'audit-log': 25, 'sandbox-events': 10, 'idempotency-keys': 3 });
    const report = await pruneOnce(deps(store));
    expect(report).toMatchObject({ 'audit-log': 25, 'sandbox-events': 10, 'idempotency-keys': 3, 'schedule-fires': 0 });
    expect(left).toMatchObject({ 'audit-log': 0, 'sandbox-events': 0 });
    // 25 rows in batches of 10: three statements; 10 rows: a full batch, then an empty one.
    expect(calls.filter((c) => c.startsWith('audit-log'))).toEqual([
      'audit-log<2025-06-01',
      'audit-log<2025-06-01',
      'audit-log<2025-06-01',
    ]);
    expect(calls.filter((c) => c.startsWith('sandbox-events'))).toEqual([
      'sandbox-events<2026-05-02',
      'sandbox-events<2026-05-02',
    ]);
    expect(calls.filter((c) => c.startsWith('idempotency-keys'))).toEqual(['idempotency-keys<2026-05-31']);
    // Executions themselves are kept by default.
    expect(calls.some((c) => c.startsWith('executions'))).toBe(false);
  });

  it('keeps everything a period of forever covers (only idempotency keys past their window go)', async () => {
    const { store, calls } = fakeStore({ 'audit-log': 5 });
    await pruneOnce(deps(store, { policy: { ...policy, executionDays: null, eventDays: null, auditDays: null } }));
    expect(calls).toEqual(['idempotency-keys<2026-05-31']);
  });

  it('prunes each page of finished executions until none of its detail is left, then moves on', async () => {
    const { store, calls } = fakeStore({}, { pages: [['a', 'b'], ['c']], rowsPerPage: 15 });
    const report = await pruneOnce(deps(store));
    expect(report?.['execution-detail']).toBe(30);
    expect(calls.filter((c) => c.startsWith('detail'))).toEqual([
      'detail a,b 10',
      'detail a,b 5',
      'detail a,b 0',
      'detail c 10',
      'detail c 5',
      'detail c 0',
    ]);
  });

  it('runs once per interval across callers unless forced, and not while another holds the lease', async () => {
    const { store } = fakeStore({});
    expect(await pruneOnce(deps(store))).toBeDefined();
    expect(await pruneOnce(deps(store))).toBeUndefined();
    expect(await pruneOnce(deps(store), { force: true })).toBeDefined();
    const later = { now: () => new Date(now.getTime() + policy.intervalMs) };
    expect(await pruneOnce(deps(store, { clock: later }))).toBeDefined();
  });

  it('stops after the batch in flight when its signal aborts', async () => {
    const { store, left } = fakeStore({ 'audit-log': 100 });
    const abort = new AbortController();
    let batches = 0;
    const counting: RetentionStore = {
      ...store,
      prune: async (kind, before, limit) => {
        if (kind === 'audit-log' && ++batches === 2) abort.abort();
        return store.prune(kind, before, limit);
      },
    };
    await pruneOnce(deps(counting, { signal: abort.signal }));
    expect(left['audit-log']).toBe(80);
  });
});

describe('retention pauses', () => {
  it('pause between batches on the clock it was given, and renew the lease once half of it has passed', async () => {
    const clock = new FakeClock(now);
    const { store, left } = fakeStore({ 'audit-log': 30 });
    const renewals: string[] = [];
    const renewing: RetentionStore = {
      ...store,
      claim: async (input) => {
        const claim = await store.claim(input);
        return claim && { ...claim, renew: async (until) => void renewals.push(until.toISOString()) };
      },
    };
    const minute = 60_000;
    const pass = pruneOnce(deps(renewing, { clock, timers: clock, pauseMs: 3 * minute }));
    await clock.advance(0);
    const audit = () => 30 - (left['audit-log'] ?? 0);
    expect(audit()).toBe(10);
    await clock.advance(3 * minute - 1);
    expect(audit()).toBe(10);
    await clock.advance(1);
    expect(audit()).toBe(20);
    expect(renewals).toEqual([]);
    // Six minutes into a ten-minute lease: renewed from then.
    await clock.advance(3 * minute);
    expect(audit()).toBe(30);
    expect(renewals).toEqual(['2026-06-01T00:16:00.000Z']);
    for (let i = 0; i < 10; i++) await clock.advance(3 * minute);
    expect(await pass).toMatchObject({ 'audit-log': 30 });
  });
});

describe('retention on Node', () => {
  it('asks within ten minutes of the start, then once per interval, and a stop ends it', async () => {
    vi.useFakeTimers({ now });
    let claims = 0;
    const { store } = fakeStore({});
    const counted: RetentionStore = { ...store, claim: async (input) => ((claims += 1), store.claim(input)) };
    const stop = startRetention(deps(counted, { clock: { now: () => new Date() } }));
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    expect(claims).toBe(0);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(claims).toBe(1);
    await vi.advanceTimersByTimeAsync(policy.intervalMs);
    expect(claims).toBe(2);
    await stop();
    await vi.advanceTimersByTimeAsync(3 * policy.intervalMs);
    expect(claims).toBe(2);
  });
});
