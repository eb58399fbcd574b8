import { describe, expect, it } from 'vitest';
import { ConfigError, configVariables, resolveConfig } from '../../../src/app/config.ts';

function problemsOf(env: Record<string, string>): { variable: string; message: string }[] {
  try {
    resolveConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = resolveConfig({});
    expect(config.env).toBe('development');
    expect(config.http).toEqual({ host: '127.0.0.1', port: 8787, bodyLimit: 1_048_576, publicUrl: 'http://localhost:8787' });
    expect(config.database.url).toBeUndefined();
    expect(config.dataDir).toBe('./.data');
    expect(config.log).toEqual({ level: 'info', format: 'pretty' });
  });

  it('is frozen all the way down', () => {
    const config = resolveConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.http)).toBe(true);
    expect(() => {
      (config.http as { port: number }).port = 1;
    }).toThrow();
  });

  it('treats empty strings as unset', () => {
    expect(resolveConfig({ PORT: '', DATABASE_URL: '  ' }).http.port).toBe(8787);
  });

  it('names the variable and what was expected for a bad value', () => {
    expect(problemsOf({ PORT: 'abc' })).toEqual([{ variable: 'PORT', message: expect.stringContaining('whole number') }]);
    expect(problemsOf({ PORT: '70000' })[0]?.message).toContain('between 1 and 65535');
    expect(problemsOf({ BATON_ENV: 'staging' })[0]).toMatchObject({ variable: 'BATON_ENV', message: expect.stringContaining('development, test, production') });
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })[0]).toMatchObject({ variable: 'DATABASE_URL', message: expect.stringContaining('postgres://') });
  });

  it('reports every bad variable at once, in a message that names each', () => {
    try {
      resolveConfig({ PORT: 'x', LOG_LEVEL: 'loud' });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).toMatch(/PORT: .*\n.*LOG_LEVEL: /);
    }
  });

  it('keeps passwords out of the message', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://u:hunter2@h:notaport/db' });
    expect(JSON.stringify(problems)).not.toContain('hunter2');
  });

  it('requires DATABASE_URL and BATON_PUBLIC_URL in production and defaults to JSON logs there', () => {
    expect(problemsOf({ BATON_ENV: 'production' }).map((p) => p.variable)).toEqual(['DATABASE_URL', 'BATON_PUBLIC_URL']);
    const config = resolveConfig({ BATON_ENV: 'production', DATABASE_URL: 'postgres://u:p@db:5432/baton', BATON_PUBLIC_URL: 'https://baton.example.com/' });
    expect(config.log.format).toBe('json');
    expect(config.http.publicUrl).toBe('https://baton.example.com');
  });

  it('asks for what the chosen sandbox provider needs, and keeps tokens out of messages', () => {
    expect(problemsOf({ BATON_SANDBOX_PROVIDER: 'http' }).map((p) => p.variable)).toEqual(['BATON_SANDBOX_URL']);
    expect(problemsOf({ BATON_SANDBOX_PROVIDER: 'fly', BATON_FLY_APP: 'sandboxes' }).map((p) => p.variable)).toEqual(['BATON_FLY_API_TOKEN', 'BATON_FLY_IMAGE']);
    expect(JSON.stringify(problemsOf({ BATON_SANDBOX_PROVIDER: 'nope', BATON_SANDBOX_TOKEN: 'sekrit' }))).toContain('BATON_SANDBOX_PROVIDER');
    const fly = resolveConfig({ BATON_SANDBOX_PROVIDER: 'fly', BATON_FLY_API_TOKEN: 't', BATON_FLY_APP: 'sandboxes', BATON_FLY_IMAGE: 'registry.fly.io/sandbox:1' });
    expect(fly.sandboxes.provider).toMatchObject({ kind: 'fly', app: 'sandboxes', apiUrl: 'https://api.machines.dev', sandboxPort: 8080 });
    expect(resolveConfig({}).sandboxes).toMatchObject({ provider: { kind: 'local' }, maxPerWorkspace: 10, idleMs: 600_000, heartbeatSeconds: 10 });
  });

  it('takes the GitHub webhook secret when it is long enough, and keeps it out of messages', () => {
    expect(resolveConfig({}).triggers.githubWebhookSecret).toBeUndefined();
    expect(resolveConfig({ BATON_GITHUB_WEBHOOK_SECRET: 'a-long-enough-secret' }).triggers.githubWebhookSecret).toBe('a-long-enough-secret');
    const problems = problemsOf({ BATON_GITHUB_WEBHOOK_SECRET: 'short' });
    expect(problems).toEqual([{ variable: 'BATON_GITHUB_WEBHOOK_SECRET', message: expect.stringContaining('at least 16 characters') }]);
    expect(JSON.stringify(problems)).not.toContain('"short"');
  });

  it('documents every variable it reads', () => {
    for (const [name, variable] of Object.entries(configVariables)) expect(variable.description.length, name).toBeGreaterThan(10);
  });
});
