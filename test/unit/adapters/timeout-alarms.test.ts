import { describe, expect, it } from 'vitest';
import { createTimeoutAlarms } from '../../../src/adapters/clock/timeout-alarms.ts';
import { FakeClock } from '../../support/fake-clock.ts';

describe('in-process alarms', () => {
  it('fire at their time on the clock that set them; a later set of the same key replaces the earlier', async () => {
    const clock = new FakeClock(Date.parse('2026-04-01T08:59:00Z'));
    const alarms = createTimeoutAlarms(clock, clock);
    const fired: string[] = [];
    alarms.set('daily', new Date('2026-04-01T09:00:00Z'), () => fired.push('daily 9:00'));
    alarms.set('daily', new Date('2026-04-01T09:00:30Z'), () => fired.push('daily 9:00:30'));
    alarms.set('past', new Date('2026-04-01T08:00:00Z'), () => fired.push('past'));
    await clock.advance(0);
    expect(fired).toEqual(['past']);
    await clock.advance(60_000);
    expect(fired).toEqual(['past']);
    await clock.advance(29_999);
    expect(fired).toEqual(['past']);
    await clock.advance(1);
    expect(fired).toEqual(['past', 'daily 9:00:30']);
  });

  it('keeps nothing beyond the horizon, and clear drops what waits', async () => {
    const clock = new FakeClock(0);
    const alarms = createTimeoutAlarms(clock, clock, 60_000);
    const fired: string[] = [];
    alarms.set('far', new Date(60_001), () => fired.push('far'));
    alarms.set('near', new Date(1_000), () => fired.push('near'));
    expect(clock.pendingTimers).toBe(1);
    alarms.clear();
    await clock.advance(120_000);
    expect(fired).toEqual([]);
  });
});
