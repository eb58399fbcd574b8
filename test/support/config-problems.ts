import { ConfigError, resolveConfig } from '../../src/app/config.ts';

/** The problems `resolveConfig` reports for `env` (fails the test when it reports none). */
export function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    resolveConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}
