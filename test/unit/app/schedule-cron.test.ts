import { describe, expect, it } from 'vitest';
import { cronProblem, fireTimesAfter, fireTimesBefore, nextFireTime } from '../../../src/app/schedules/cron.ts';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());
const at = (s: string) => new Date(s);

describe('cron in a time zone', () => {
  it('Europe/Berlin, spring forward (29 March 2026, 02:00 becomes 03:00): a 02:30 job runs at 03:00 that day', () => {
    expect(
      iso(fireTimesAfter({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, at('2026-03-27T12:00:00Z'), 3)),
    ).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST, the first valid time after the gap
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
  });

  it(
    'Europe/Berlin, fall back (25 October 2026, 03:00 becomes 02:00): ' +
      'a 02:30 job runs once; an every-30-minutes job runs in both hours',
    () => {
      expect(
        iso(fireTimesAfter({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, at('2026-10-24T12:00:00Z'), 3)),
      ).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z', '2026-10-27T01:30:00.000Z']);
      expect(
        iso(fireTimesAfter({ cron: '*/30 2 * * *', timezone: 'Europe/Berlin' }, at('2026-10-24T23:00:00Z'), 4)),
      ).toEqual([
        '2026-10-25T00:00:00.000Z', // 02:00 CEST
        '2026-10-25T00:30:00.000Z', // 02:30 CEST
        '2026-10-25T01:00:00.000Z', // 02:00 CET, the repeated hour
        '2026-10-25T01:30:00.000Z', // 02:30 CET
      ]);
    },
  );

  it('America/New_York, spring forward (8 March 2026): an hourly job skips the hour that does not exist', () => {
    expect(
      iso(fireTimesAfter({ cron: '0 * * * *', timezone: 'America/New_York' }, at('2026-03-08T05:30:00Z'), 3)),
    ).toEqual([
      '2026-03-08T06:00:00.000Z', // 01:00 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT (02:00 does not exist)
      '2026-03-08T08:00:00.000Z', // 04:00 EDT
    ]);
  });

  it('America/New_York, fall back (1 November 2026): a 01:30 job runs once, at the first 01:30', () => {
    expect(
      iso(fireTimesAfter({ cron: '30 1 * * *', timezone: 'America/New_York' }, at('2026-10-31T12:00:00Z'), 2)),
    ).toEqual(['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z']);
  });

  it('stops at the end date, and lists the newest fire times before a moment', () => {
    const spec = { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' };
    expect(iso(fireTimesAfter(spec, at('2026-11-20T00:00:00Z'), 10, at('2026-11-24T12:00:00Z')))).toEqual([
      '2026-11-20T08:00:00.000Z',
      '2026-11-23T08:00:00.000Z',
      '2026-11-24T08:00:00.000Z',
    ]);
    expect(nextFireTime(spec, at('2026-11-24T12:00:00Z'), at('2026-11-24T13:00:00Z'))).toBeNull();
    expect(iso(fireTimesBefore(spec, at('2026-11-24T08:00:00Z'), 2))).toEqual([
      '2026-11-23T08:00:00.000Z',
      '2026-11-24T08:00:00.000Z',
    ]);
  });

  it('names what is wrong with a spec', () => {
    const now = at('2026-11-24T00:00:00Z');
    expect(cronProblem({ cron: '*/5 * * * *', timezone: 'UTC' }, now)).toBeNull();
    expect(cronProblem({ cron: '*/5 * * * * *', timezone: 'Asia/Kolkata' }, now)).toBeNull();
    expect(cronProblem({ cron: '* * * * *', timezone: 'Nowhere/City' }, now)?.field).toBe('timezone');
    expect(cronProblem({ cron: '99 * * * *', timezone: 'UTC' }, now)?.field).toBe('cron');
    expect(cronProblem({ cron: '2030-01-01T00:00:00', timezone: 'UTC' }, now)?.message).toMatch(/fields/);
    expect(cronProblem({ cron: '0 0 30 2 *', timezone: 'UTC' }, now)?.message).toMatch(/never/);
  });
});
