import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../src/app/config.ts';

const resolve = (env: Record<string, string> = {}) => resolveConfig({ BATON_ENV: 'test', ...env }).retention;

describe('retention settings', () => {
  it(
    'default to 90 days of execution detail, executions kept, 30 ' +
      'days of events, a year of audit, hourly passes of 1000 rows',
    () => {
      expect(resolve()).toEqual({
        executionDays: 90,
        executionRecordDays: null,
        eventDays: 30,
        auditDays: 365,
        intervalMs: 3_600_000,
        batchSize: 1000,
      });
    },
  );

  it('keep forever with 0 or forever', () => {
    expect(
      resolve({
        BATON_RETENTION_EXECUTION_DAYS: '0',
        BATON_RETENTION_EVENT_DAYS: 'forever',
        BATON_RETENTION_AUDIT_DAYS: '0',
        BATON_RETENTION_EXECUTION_RECORD_DAYS: '400',
      }),
    ).toMatchObject({ executionDays: null, eventDays: null, auditDays: null, executionRecordDays: 400 });
  });

  it('refuse anything else, naming the variable', () => {
    for (const [name, value] of [
      ['BATON_RETENTION_EVENT_DAYS', '-1'],
      ['BATON_RETENTION_AUDIT_DAYS', '1.5'],
      ['BATON_RETENTION_EXECUTION_DAYS', 'never'],
      ['BATON_RETENTION_BATCH_SIZE', '0'],
      ['BATON_RETENTION_INTERVAL_MINUTES', '0'],
    ] as const) {
      try {
        resolve({ [name]: value });
        expect.unreachable(`${name}=${value} was accepted`);
      } catch (error) {
        expect(error, `${name}=${value}`).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).problems.map((p) => p.variable)).toEqual([name]);
      }
    }
  });
});
