import { describe, expect, it } from 'vitest';
import { createEnvelopeCipher } from '../../../src/adapters/webcrypto/envelope-cipher.ts';
import { createSecretSealer } from '../../../src/app/credentials/secret-sealer.ts';
import { CredentialKeyError, type CredentialCipher } from '../../../src/ports/credential-cipher.ts';
import { FakeClock } from '../../support/fake-clock.ts';

/** The real envelope cipher, counting how often it decrypts. */
async function countingCipher(): Promise<CredentialCipher & { opened: number }> {
  const cipher = await createEnvelopeCipher({
    current: 'k1',
    keys: new Map([['k1', crypto.getRandomValues(new Uint8Array(32))]]),
  });
  const counting = {
    opened: 0,
    currentKeyId: cipher.currentKeyId,
    keyIds: cipher.keyIds,
    seal: cipher.seal.bind(cipher),
    rewrap: cipher.rewrap.bind(cipher),
    open: (...args: Parameters<CredentialCipher['open']>) => {
      counting.opened++;
      return cipher.open(...args);
    },
  };
  return counting;
}

describe('secret sealer', () => {
  it('opens a row once per minute on hot paths, and a value sealed anew at once', async () => {
    const cipher = await countingCipher();
    const clock = new FakeClock();
    const sealer = createSecretSealer(cipher, clock);
    const sealed = await sealer.seal('triggers.secret', 't1', 'hook-secret');
    for (let i = 0; i < 5; i++) expect(await sealer.open('triggers.secret', 't1', sealed)).toBe('hook-secret');
    expect(cipher.opened).toBe(1);
    await clock.advance(60_001);
    expect(await sealer.open('triggers.secret', 't1', sealed)).toBe('hook-secret');
    expect(cipher.opened).toBe(2);
    // The row holds another value (sealed again, or re-wrapped): never answered from the cache.
    const resealed = await sealer.seal('triggers.secret', 't1', 'another-secret');
    expect(await sealer.open('triggers.secret', 't1', resealed)).toBe('another-secret');
    expect(cipher.opened).toBe(3);
  });

  it(
    'binds a value to its column and row: moved elsewhere ' + 'it does not open, even while the original is cached',
    async () => {
      const sealer = createSecretSealer(await countingCipher(), new FakeClock());
      const sealed = await sealer.seal('sessions.callback_secret', 's1', 'callback-secret');
      expect(await sealer.open('sessions.callback_secret', 's1', sealed)).toBe('callback-secret');
      await expect(sealer.open('sessions.callback_secret', 's2', sealed)).rejects.toBeInstanceOf(CredentialKeyError);
      await expect(sealer.open('triggers.secret', 's1', sealed)).rejects.toBeInstanceOf(CredentialKeyError);
    },
  );
});
