import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config.ts';
import { problemsOf } from '../../support/config-problems.ts';

describe('BATON_EGRESS_ALLOW', () => {
  it('is empty by default, and takes host names, addresses and CIDR ranges', () => {
    expect(resolveConfig({ BATON_ENV: 'test' }).egress.allow).toEqual([]);
    expect(
      resolveConfig({ BATON_ENV: 'test', BATON_EGRESS_ALLOW: ' hooks.internal, 10.1.0.0/16 ,127.0.0.1,fd12::/16,::1,' })
        .egress.allow,
    ).toEqual(['hooks.internal', '10.1.0.0/16', '127.0.0.1', 'fd12::/16', '::1']);
  });

  it('refuses entries that are none of those, naming the variable', () => {
    for (const value of ['http://hooks.internal', '10.0.0.0/33', '1.2.3', 'hooks internal', '*']) {
      expect(problemsOf({ BATON_ENV: 'test', BATON_EGRESS_ALLOW: value }), value).toEqual([
        {
          variable: 'BATON_EGRESS_ALLOW',
          message: expect.stringContaining('expected a comma-separated list of host names, addresses and CIDR ranges'),
        },
      ]);
    }
  });
});
