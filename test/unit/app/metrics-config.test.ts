import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../../src/app/config.ts';

describe('metrics configuration', () => {
  it('is off unless a token or a port is set', () => {
    expect(resolveConfig({}).metrics).toEqual({ token: undefined, port: undefined });
    expect(resolveConfig({ BATON_METRICS_TOKEN: 'a'.repeat(32), BATON_METRICS_PORT: '9464' }).metrics).toEqual({
      token: 'a'.repeat(32),
      port: 9464,
    });
  });

  it('refuses a short token without echoing it, and the API port as the metrics port', () => {
    const problems = (env: Record<string, string>) => {
      try {
        resolveConfig(env);
      } catch (error) {
        if (error instanceof ConfigError) return error.problems;
      }
      return [];
    };
    const short = problems({ BATON_METRICS_TOKEN: 'hunter2' });
    expect(short.map((p) => p.variable)).toEqual(['BATON_METRICS_TOKEN']);
    expect(short[0]?.message).not.toContain('hunter2');
    expect(problems({ PORT: '8787', BATON_METRICS_PORT: '8787' }).map((p) => p.variable)).toEqual([
      'BATON_METRICS_PORT',
    ]);
  });
});
