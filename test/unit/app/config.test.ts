import { describe, expect, it } from 'vitest';
import { configVariables, resolveConfig } from '../../../src/app/config.ts';
import { problemsOf } from '../../support/config-problems.ts';

/** A valid production configuration with a real execution plane. */
const production: Record<string, string> = {
  BATON_ENV: 'production',
  DATABASE_URL: 'postgres://u:p@db:5432/baton',
  BATON_PUBLIC_URL: 'https://baton.example.com',
  BATON_CREDENTIAL_KEYS: `k1:${'A'.repeat(43)}=`,
  BATON_SANDBOX_PROVIDER: 'http',
  BATON_SANDBOX_URL: 'https://sandboxes.example.com',
};

describe('resolveConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = resolveConfig({});
    expect(config.env).toBe('development');
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 8787,
      bodyLimit: 1_048_576,
      publicUrl: 'http://localhost:8787',
    });
    expect(config.database.url).toBeUndefined();
    expect(config.dataDir).toBe('./.data');
    expect(config.log).toEqual({ level: 'info', format: 'pretty' });
  });

  it('defaults the public URL to where a browser reaches the bound address (sign-in works only there)', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'])
      expect(resolveConfig({ HOST: host }).http.publicUrl, host).toBe('http://localhost:8787');
    expect(resolveConfig({ HOST: '192.168.1.20', PORT: '9000' }).http.publicUrl).toBe('http://192.168.1.20:9000');
    expect(resolveConfig({ HOST: 'fd00::5' }).http.publicUrl).toBe('http://[fd00::5]:8787');
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
    expect(problemsOf({ PORT: 'abc' })).toEqual([
      { variable: 'PORT', message: expect.stringContaining('whole number') },
    ]);
    expect(problemsOf({ PORT: '70000' })[0]?.message).toContain('between 1 and 65535');
    expect(problemsOf({ BATON_ENV: 'staging' })[0]).toMatchObject({
      variable: 'BATON_ENV',
      message: expect.stringContaining('development, test, production'),
    });
    expect(problemsOf({ DATABASE_URL: 'mysql://x' })[0]).toMatchObject({
      variable: 'DATABASE_URL',
      message: expect.stringContaining('postgres://'),
    });
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

  it(
    'requires DATABASE_URL, BATON_PUBLIC_URL and BATON_CREDENTIAL_KEYS ' +
      'in production and defaults to JSON logs there',
    () => {
      expect(problemsOf({ BATON_ENV: 'production' }).map((p) => p.variable)).toEqual([
        'DATABASE_URL',
        'BATON_PUBLIC_URL',
        'BATON_SANDBOX_PROVIDER',
        'BATON_CREDENTIAL_KEYS',
      ]);
      const config = resolveConfig({ ...production, BATON_PUBLIC_URL: 'https://baton.example.com/' });
      expect(config.log.format).toBe('json');
      expect(config.http.publicUrl).toBe('https://baton.example.com');
    },
  );

  it('refuses the scripted stand-in plane in production unless the operator asks for it', () => {
    const standIn = Object.fromEntries(
      Object.entries(production).filter(([name]) => !name.startsWith('BATON_SANDBOX_')),
    );
    expect(problemsOf(standIn)).toEqual([
      { variable: 'BATON_SANDBOX_PROVIDER', message: expect.stringContaining('BATON_ALLOW_STAND_IN_PLANE=true') },
    ]);
    expect(resolveConfig({ ...standIn, BATON_ALLOW_STAND_IN_PLANE: 'true' }).sandboxes.provider.kind).toBe('local');
    expect(resolveConfig({}).sandboxes.provider.kind).toBe('local');
  });

  it('admits an http OIDC issuer in production only on localhost or *.localhost', () => {
    const oidc = { OIDC_CLIENT_ID: 'baton', OIDC_CLIENT_SECRET: 'sekrit' };
    expect(problemsOf({ ...production, ...oidc, OIDC_ISSUER: 'http://idp.example.com' })).toEqual([
      { variable: 'OIDC_ISSUER', message: expect.stringContaining('must be https in production') },
    ]);
    expect(
      problemsOf({ ...production, ...oidc, OIDC_ISSUER: 'http://localhost.example.com' }).map((p) => p.variable),
    ).toEqual(['OIDC_ISSUER']);
    for (const issuer of ['http://idp.localhost:5556', 'http://localhost:5556', 'https://idp.example.com'])
      expect(resolveConfig({ ...production, ...oidc, OIDC_ISSUER: issuer }).identity.oidc?.issuer, issuer).toBe(issuer);
  });

  it('tells sandboxes to call back at BATON_SANDBOX_CALLBACK_URL, or else at the public URL', () => {
    expect(resolveConfig(production).sandboxes.callbackUrl).toBe('https://baton.example.com/v1/sandbox-events');
    expect(
      resolveConfig({ ...production, BATON_SANDBOX_CALLBACK_URL: 'http://baton:8787/' }).sandboxes.callbackUrl,
    ).toBe('http://baton:8787/v1/sandbox-events');
  });

  it('asks for what the chosen sandbox provider needs, and keeps tokens out of messages', () => {
    expect(problemsOf({ BATON_SANDBOX_PROVIDER: 'http' }).map((p) => p.variable)).toEqual(['BATON_SANDBOX_URL']);
    expect(problemsOf({ BATON_SANDBOX_PROVIDER: 'fly', BATON_FLY_APP: 'sandboxes' }).map((p) => p.variable)).toEqual([
      'BATON_FLY_API_TOKEN',
      'BATON_FLY_IMAGE',
    ]);
    expect(JSON.stringify(problemsOf({ BATON_SANDBOX_PROVIDER: 'nope', BATON_SANDBOX_TOKEN: 'sekrit' }))).toContain(
      'BATON_SANDBOX_PROVIDER',
    );
    const fly = resolveConfig({
      BATON_SANDBOX_PROVIDER: 'fly',
      BATON_FLY_API_TOKEN: 't',
      BATON_FLY_APP: 'sandboxes',
      BATON_FLY_IMAGE: 'registry.fly.io/sandbox:1',
    });
    expect(fly.sandboxes.provider).toMatchObject({
      kind: 'fly',
      app: 'sandboxes',
      apiUrl: 'https://api.machines.dev',
      sandboxPort: 8080,
    });
    expect(resolveConfig({}).sandboxes).toMatchObject({
      provider: { kind: 'local' },
      maxPerWorkspace: 10,
      idleMs: 600_000,
      heartbeatSeconds: 10,
    });
  });

  it('configures Google Drive only with both client id and secret, and GitHub Enterprise by its API URL', () => {
    expect(resolveConfig({}).integrations).toEqual({ githubApiUrl: 'https://api.github.com', google: undefined });
    expect(resolveConfig({ BATON_GITHUB_API_URL: 'https://ghe.example.com/api/v3/' }).integrations.githubApiUrl).toBe(
      'https://ghe.example.com/api/v3',
    );
    const problems = problemsOf({ BATON_GOOGLE_CLIENT_ID: 'client' });
    expect(problems.map((p) => p.variable)).toEqual(['BATON_GOOGLE_CLIENT_SECRET']);
    expect(
      resolveConfig({ BATON_GOOGLE_CLIENT_ID: 'client', BATON_GOOGLE_CLIENT_SECRET: 'sekrit' }).integrations.google,
    ).toEqual({ clientId: 'client', clientSecret: 'sekrit', baseUrl: undefined });
    expect(JSON.stringify(problemsOf({ BATON_GOOGLE_CLIENT_SECRET: 'sekrit' }))).not.toContain('sekrit');
    expect(problemsOf({ ...production, BATON_GOOGLE_BASE_URL: 'http://google.test' }).map((p) => p.variable)).toEqual([
      'BATON_GOOGLE_BASE_URL',
    ]);
  });

  it('documents every variable it reads', () => {
    for (const [name, variable] of Object.entries(configVariables))
      expect(variable.description.length, name).toBeGreaterThan(10);
  });
});
