import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseCredentialKeys, resolveConfig } from '../../../src/app/config.ts';
import { problemsOf } from '../../support/config-problems.ts';

const key = () => randomBytes(32).toString('base64');

describe('BATON_CREDENTIAL_KEYS', () => {
  it('gives a keyring whose first entry is current, every key 32 bytes (standard or URL-safe base64)', () => {
    const [a, b] = [randomBytes(32), randomBytes(32)];
    const config = resolveConfig({
      BATON_CREDENTIAL_KEYS: ` new:${a.toString('base64')} , old.2024_1:${b.toString('base64url')}`,
    });
    expect(config.credentials.keyring?.current).toBe('new');
    expect([...(config.credentials.keyring?.keys.keys() ?? [])]).toEqual(['new', 'old.2024_1']);
    expect(Buffer.from(config.credentials.keyring?.keys.get('old.2024_1') ?? []).equals(b)).toBe(true);
  });

  it('is optional outside production (the Node server then generates a key) and required in production', () => {
    expect(resolveConfig({}).credentials.keyring).toBeUndefined();
    const production = {
      BATON_ENV: 'production',
      DATABASE_URL: 'postgres://u:p@db:5432/baton',
      BATON_PUBLIC_URL: 'https://baton.example.com',
      BATON_SANDBOX_PROVIDER: 'http',
      BATON_SANDBOX_URL: 'https://sandboxes.example.com',
    };
    expect(problemsOf(production)).toEqual([
      { variable: 'BATON_CREDENTIAL_KEYS', message: expect.stringContaining('is required in production') },
    ]);
    expect(resolveConfig({ ...production, BATON_CREDENTIAL_KEYS: `k1:${key()}` }).credentials.keyring?.current).toBe(
      'k1',
    );
  });

  it('names the entry and what is wrong with it, and never the key', () => {
    const short = randomBytes(16).toString('base64');
    const good = key();
    const problems = problemsOf({
      BATON_CREDENTIAL_KEYS: `k1:${good},k1:${key()},bad id:${key()},k4:${short},${good},k6:not*base64,`,
    });
    expect(problems.map((p) => p.variable)).toEqual(Array(6).fill('BATON_CREDENTIAL_KEYS'));
    expect(problems.map((p) => p.message)).toEqual([
      expect.stringMatching(/^entry 2: key id "k1" is already used by entry 1/),
      expect.stringMatching(/^entry 3: a key id is 1 to 64 letters/),
      expect.stringMatching(/^entry 4 \(key "k4"\): expected 32 bytes of key, got 16/),
      expect.stringMatching(/^entry 5 has no "<id>:"/),
      expect.stringMatching(/^entry 6 \(key "k6"\): the key is not base64/),
      expect.stringMatching(/^entry 7 is empty/),
    ]);
    const text = JSON.stringify(problems);
    for (const material of [good, short, good.slice(0, 12)]) expect(text).not.toContain(material);
  });

  it('parses the development key file the same way', () => {
    expect(parseCredentialKeys(`local-0a1b2c3d:${key()}`)).toMatchObject({ keyring: { current: 'local-0a1b2c3d' } });
    expect(parseCredentialKeys('local:')).toEqual({
      problems: [expect.stringContaining('entry 1 (key "local"): the key is not base64')],
    });
  });
});
