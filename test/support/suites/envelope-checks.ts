import type { CredentialCipher, Keyring, SealedSecret } from '../../../src/ports/credential-cipher.ts';

// The envelope cipher's behaviour as named checks that run unchanged on Node (vitest) and inside
// workerd (a fixture Worker): Web APIs only, no vitest and no node:* here. A check resolves when
// the behaviour holds and throws an Error saying what went wrong otherwise.

/** Builds a cipher over a keyring: `createEnvelopeCipher`, passed in by the runtime under test. */
export type CipherFactory = (keyring: Keyring) => Promise<CredentialCipher>;

/** One check of the suite. */
export type EnvelopeCheck = (create: CipherFactory) => Promise<void>;

const secret = 'ghs_16C7e42F292c6912E7710c838347Ae178B4a';

function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

function newKey(): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(32));
}

function keyring(current: string, keys: Record<string, Uint8Array>): Keyring {
  return { current, keys: new Map(Object.entries(keys)) };
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64url(text: string): Uint8Array {
  return Uint8Array.from(atob(text.replaceAll('-', '+').replaceAll('_', '/')), (c) => c.charCodeAt(0));
}

function toBase64url(bytes: Uint8Array): string {
  return toBase64(bytes).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** The same base64url field with one bit flipped at byte `at` (from the end when negative). */
function flipBit(field: string, at = 0): string {
  const bytes = fromBase64url(field);
  const index = at < 0 ? bytes.length + at : at;
  bytes[index] = (bytes[index] ?? 0) ^ 0x01;
  return toBase64url(bytes);
}

/** Asserts that `attempt` is refused with a CredentialKeyError of `code` that leaks nothing in `secrets`. */
async function refused(
  attempt: Promise<unknown>,
  code: string,
  what: string,
  secrets: readonly string[] = [secret],
): Promise<Error> {
  let outcome: unknown;
  try {
    outcome = await attempt;
  } catch (error) {
    assert(error instanceof Error, `${what}: expected an Error, got ${String(error)}`);
    const coded = error as Error & { code?: string };
    assert(
      coded.name === 'CredentialKeyError',
      `${what}: expected a CredentialKeyError, got ${coded.name}: ${coded.message}`,
    );
    assert(coded.code === code, `${what}: expected code ${code}, got ${String(coded.code)} (${coded.message})`);
    for (const s of secrets)
      assert(
        !coded.message.includes(s) && !JSON.stringify(coded).includes(s),
        `${what}: the error gives away secret material`,
      );
    return coded;
  }
  throw new Error(
    `${what}: expected a refusal, but it gave ` +
      `${typeof outcome === 'string' ? `a string of ${outcome.length} characters` : typeof outcome}`,
  );
}

const base64urlField = /^[A-Za-z0-9_-]+$/;

/** Every check, by the name the tests show. */
export const envelopeChecks: Readonly<Record<string, EnvelopeCheck>> = {
  'round trip: what is sealed opens to the same text, and the sealed form shows none of it': async (create) => {
    const key = newKey();
    const cipher = await create(keyring('k1', { k1: key }));
    assert(cipher.currentKeyId === 'k1', `currentKeyId is ${cipher.currentKeyId}`);
    for (const text of [
      secret,
      'ünïcødé ✓ 🔑',
      '-----BEGIN PRIVATE KEY-----\n' + 'A'.repeat(3000) + '\n-----END PRIVATE KEY-----\n',
      '',
    ]) {
      const sealed = await cipher.seal(text, 'credential:one');
      assert(sealed.keyId === 'k1', `sealed under ${sealed.keyId}, not the current key`);
      for (const field of ['wrappedKey', 'iv', 'ciphertext'] as const)
        assert(base64urlField.test(sealed[field]), `${field} is not base64url text`);
      const stored = JSON.stringify(sealed);
      if (text !== '')
        assert(
          !stored.includes(text) && !stored.includes(toBase64url(new TextEncoder().encode(text)).slice(0, 16)),
          'the sealed form contains the secret',
        );
      assert(!stored.includes(toBase64url(key).slice(0, 16)), 'the sealed form contains the key');
      const opened = await cipher.open(sealed, 'credential:one');
      assert(opened === text, `opened ${opened.length} characters that differ from the ${text.length} sealed`);
    }
    const [a, b] = [await cipher.seal(secret, 'credential:one'), await cipher.seal(secret, 'credential:one')];
    assert(
      a.wrappedKey !== b.wrappedKey && a.iv !== b.iv && a.ciphertext !== b.ciphertext,
      'two seals of one secret look alike: no fresh data key and IV',
    );
  },

  'a changed ciphertext is refused': async (create) => {
    const cipher = await create(keyring('k1', { k1: newKey() }));
    const sealed = await cipher.seal(secret, 'credential:one');
    await refused(
      cipher.open({ ...sealed, ciphertext: flipBit(sealed.ciphertext) }, 'credential:one'),
      'credential_unreadable',
      'first byte of the ciphertext',
    );
    await refused(
      cipher.open({ ...sealed, ciphertext: flipBit(sealed.ciphertext, -1) }, 'credential:one'),
      'credential_unreadable',
      'the tag',
    );
    await refused(
      cipher.open({ ...sealed, ciphertext: sealed.ciphertext.slice(0, 8) }, 'credential:one'),
      'credential_unreadable',
      'a truncated ciphertext',
    );
    await refused(
      cipher.open({ ...sealed, ciphertext: `${sealed.ciphertext}!` }, 'credential:one'),
      'credential_unreadable',
      'a ciphertext that is not base64url',
    );
  },

  'a changed iv is refused': async (create) => {
    const cipher = await create(keyring('k1', { k1: newKey() }));
    const sealed = await cipher.seal(secret, 'credential:one');
    await refused(
      cipher.open({ ...sealed, iv: flipBit(sealed.iv) }, 'credential:one'),
      'credential_unreadable',
      'a flipped iv bit',
    );
    await refused(
      cipher.open({ ...sealed, iv: sealed.iv.slice(0, 10) }, 'credential:one'),
      'credential_unreadable',
      'a short iv',
    );
  },

  'a changed wrapped key is refused': async (create) => {
    const cipher = await create(keyring('k1', { k1: newKey() }));
    const sealed = await cipher.seal(secret, 'credential:one');
    for (const at of [0, 12, -1])
      await refused(
        cipher.open({ ...sealed, wrappedKey: flipBit(sealed.wrappedKey, at) }, 'credential:one'),
        'credential_unreadable',
        `wrapped key byte ${at}`,
      );
    await refused(
      cipher.rewrap({ ...sealed, wrappedKey: flipBit(sealed.wrappedKey, 20) }),
      'credential_unreadable',
      'rewrap of a changed wrapped key',
    );
    const other = await cipher.seal(secret, 'credential:one');
    await refused(
      cipher.open({ ...sealed, wrappedKey: other.wrappedKey }, 'credential:one'),
      'credential_unreadable',
      "another record's data key",
    );
  },

  'another aad is refused: a sealed value copied onto another record does not open': async (create) => {
    const cipher = await create(keyring('k1', { k1: newKey() }));
    const sealed = await cipher.seal(secret, 'credential:one');
    await refused(cipher.open(sealed, 'credential:two'), 'credential_unreadable', 'another record id');
    await refused(cipher.open(sealed, ''), 'credential_unreadable', 'no aad');
  },

  'a changed key id is refused': async (create) => {
    const cipher = await create(keyring('k1', { k1: newKey(), k2: newKey() }));
    const sealed = await cipher.seal(secret, 'credential:one');
    await refused(
      cipher.open({ ...sealed, keyId: 'k2' }, 'credential:one'),
      'credential_unreadable',
      'another configured key id',
    );
    const error = await refused(
      cipher.open({ ...sealed, keyId: 'k9' }, 'credential:one'),
      'credential_key_missing',
      'an unknown key id',
    );
    assert(error.message.includes('"k9"'), `the error does not name the missing key: ${error.message}`);
  },

  'rotation re-wraps records under old keys; old and new ones open with both keys, then with the new one alone': async (
    create,
  ) => {
    const [oldKey, newer] = [newKey(), newKey()];
    const before = await create(keyring('old', { old: oldKey }));
    const a = await before.seal(`${secret}-a`, 'credential:a');
    const during = await create(keyring('new', { new: newer, old: oldKey }));
    assert(
      during.keyIds.join(',') === 'new,old',
      `keyIds are ${during.keyIds.join(',')}, expected the current key first`,
    );
    const b = await during.seal(`${secret}-b`, 'credential:b');
    assert(b.keyId === 'new', 'a new record is not sealed under the first key');
    assert(
      (await during.open(a, 'credential:a')) === `${secret}-a` &&
        (await during.open(b, 'credential:b')) === `${secret}-b`,
      'records under the old and the new key do not both open',
    );
    const aMoved = await during.rewrap(a);
    assert(
      aMoved.keyId === 'new' && aMoved.wrappedKey !== a.wrappedKey,
      'rewrap did not move the record to the current key',
    );
    assert(aMoved.iv === a.iv && aMoved.ciphertext === a.ciphertext, 'rewrap touched the iv or ciphertext');
    const bAgain = await during.rewrap(b);
    assert(JSON.stringify(bAgain) === JSON.stringify(b), 'rewrap changed a record already under the current key');
    const after = await create(keyring('new', { new: newer }));
    assert(
      (await after.open(aMoved, 'credential:a')) === `${secret}-a`,
      'a re-wrapped record does not open once the old key is gone',
    );
    assert(
      (await after.open(b, 'credential:b')) === `${secret}-b`,
      'a new record does not open with the new key alone',
    );
    await refused(after.open(a, 'credential:a'), 'credential_key_missing', 'the old wrap without the old key');
  },

  "a keyring without the record's key is refused, naming the key id": async (create) => {
    const sealed = await (await create(keyring('gone', { gone: newKey() }))).seal(secret, 'credential:one');
    const error = await refused(
      (await create(keyring('other', { other: newKey() }))).open(sealed, 'credential:one'),
      'credential_key_missing',
      'open without the key',
    );
    assert(
      error.message.includes('"gone"') && error.message.includes('BATON_CREDENTIAL_KEYS'),
      `the error does not name the key and the variable: ${error.message}`,
    );
    await refused(
      (await create(keyring('other', { other: newKey() }))).rewrap(sealed),
      'credential_key_missing',
      'rewrap without the key',
    );
  },

  'a key with the same id but other bytes is refused': async (create) => {
    const [right, wrong] = [newKey(), newKey()];
    const sealed = await (await create(keyring('k1', { k1: right }))).seal(secret, 'credential:one');
    const impostor = await create(keyring('k1', { k1: wrong }));
    const secrets = [secret, toBase64(right), toBase64(wrong)];
    const error = await refused(
      impostor.open(sealed, 'credential:one'),
      'credential_unreadable',
      'open with other bytes',
      secrets,
    );
    assert(error.message.includes('"k1"'), `the error does not name the key id: ${error.message}`);
    await refused(impostor.rewrap(sealed), 'credential_unreadable', 'rewrap with other bytes', secrets);
  },

  'seals under a named older key when asked (key check values), and only under configured keys': async (create) => {
    const cipher = await create(keyring('new', { new: newKey(), old: newKey() }));
    const sealed: SealedSecret = await cipher.seal('check', 'credential-key-check:old', 'old');
    assert(sealed.keyId === 'old', `sealed under ${sealed.keyId}, not the key asked for`);
    assert(
      (await cipher.open(sealed, 'credential-key-check:old')) === 'check',
      'the value sealed under the older key does not open',
    );
    await refused(cipher.seal('check', 'x', 'nope'), 'credential_key_missing', 'seal under an unknown key');
  },

  'a keyring must hold its current key, and every key must be 32 bytes': async (create) => {
    const rejects = async (attempt: Promise<unknown>, what: string) => {
      let ok = true;
      await attempt.then(
        () => undefined,
        () => (ok = false),
      );
      assert(!ok, `${what} was accepted`);
    };
    await rejects(create(keyring('missing', { k1: newKey() })), 'a current key that is not in the keyring');
    await rejects(create(keyring('short', { short: newKey().slice(0, 16) })), 'a 16-byte key');
  },
};
