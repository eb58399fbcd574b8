import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JoseTokenSigner } from '../../src/adapters/jose/jose-token-signer.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createSigningKeyStore } from '../../src/adapters/postgres/signing-key-store.ts';
import { createEnvelopeCipher } from '../../src/adapters/webcrypto/envelope-cipher.ts';
import { parseCredentialKeys } from '../../src/app/config.ts';
import { createSecretSealer } from '../../src/app/credentials/secret-sealer.ts';
import type { SecretSealer } from '../../src/ports/sealed-secrets.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { testCredentialKeys } from '../support/processes.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { systemClock } from '../../src/adapters/clock/system-clock.ts';

let database: TestDatabase;
let db: Database;
let sealer: SecretSealer;
beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const keys = parseCredentialKeys(testCredentialKeys);
  if ('problems' in keys) throw new Error(keys.problems.join('; '));
  sealer = createSecretSealer(await createEnvelopeCipher(keys.keyring), systemClock);
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

const hour = 3_600_000;

describe('terminal tokens and their keys', () => {
  it('rotates the signing key, keeps the old one published while its tokens live, then drops it', async () => {
    const clock = { at: Date.parse('2026-11-25T00:00:00Z'), now: () => new Date(clock.at) };
    const signer = new JoseTokenSigner({
      store: createSigningKeyStore(db, sealer),
      clock,
      issuer: 'https://baton.example.com',
      rotateAfterMs: 24 * hour,
    });
    const first = await signer.sign({ subject: 'u1', audience: 'sandbox:a' }, 3_600);
    // Capped at five minutes whatever was asked.
    expect(first.expiresAt.getTime() - clock.at).toBe(300_000);
    const keysThen = await signer.jwks();
    expect(keysThen.keys).toHaveLength(1);
    const verify = async (token: string, jwks: Awaited<ReturnType<typeof signer.jwks>>, at: number) =>
      jwtVerify(token, createLocalJWKSet(jwks as never), {
        issuer: 'https://baton.example.com',
        audience: 'sandbox:a',
        currentDate: new Date(at),
      });
    expect((await verify(first.token, keysThen, clock.at)).payload.sub).toBe('u1');
    await expect(verify(first.token, keysThen, clock.at + 301_000)).rejects.toThrow();

    // A day later a new key signs; the old one is still published (tokens it signed may still live).
    clock.at += 24 * hour + 1;
    const second = await signer.sign({ subject: 'u2', audience: 'sandbox:a' }, 60);
    const keysNow = await signer.jwks();
    expect(keysNow.keys).toHaveLength(2);
    const kidOf = (token: string) => (JSON.parse(atob(token.split('.')[0] ?? '')) as { kid: string }).kid;
    expect(kidOf(second.token)).not.toBe(kidOf(first.token));
    expect(keysNow.keys[0]?.kid).toBe(kidOf(second.token));
    expect(keysNow.keys.every((k) => !('d' in k))).toBe(true);

    // Once every token of the old key has expired, it is no longer published.
    clock.at += 10 * 60_000;
    expect((await signer.jwks()).keys.map((k) => k.kid)).toEqual([kidOf(second.token)]);
  });

  it(
    'keeps the private keys sealed: no private part in ' + 'clear in the table, and a fresh signer opens them',
    async () => {
      const clock = { now: () => new Date() };
      const signer = new JoseTokenSigner({
        store: createSigningKeyStore(db, sealer),
        clock,
        issuer: 'https://baton.example.com',
        rotateAfterMs: 24 * hour,
      });
      const { token } = await signer.sign({ subject: 'u3', audience: 'sandbox:b' }, 60);
      const [stored] = await createSigningKeyStore(db, sealer).unexpired(clock.now());
      const privateJwk = await stored?.privateJwk();
      expect(typeof privateJwk?.d).toBe('string');
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('kid', '=', stored?.kid ?? '')
        .execute();
      expect(JSON.stringify(rows)).not.toContain(privateJwk?.d as string);
      expect(rows[0]).toMatchObject({ private_jwk: null, private_jwk_sealed: { keyId: 'test' } });
      // Another instance (its own signer and cache) signs with the same key.
      const other = new JoseTokenSigner({
        store: createSigningKeyStore(db, sealer),
        clock,
        issuer: 'https://baton.example.com',
        rotateAfterMs: 24 * hour,
      });
      const kidOf = (t: string) => (JSON.parse(atob(t.split('.')[0] ?? '')) as { kid: string }).kid;
      expect(kidOf((await other.sign({ subject: 'u4', audience: 'sandbox:b' }, 60)).token)).toBe(kidOf(token));
      expect(kidOf(token)).toBe(stored?.kid);
    },
  );
});
