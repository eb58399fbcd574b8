import type { Clock } from '../../ports/clock.ts';
import type { CredentialCipher, SealedSecret } from '../../ports/credential-cipher.ts';
import type { SealedColumnName, SecretSealer } from '../../ports/sealed-secrets.ts';

/** The AAD of a secret kept in its own row: `<table.column>:<id>`, so it opens only there. */
export const sealedColumnAad = (column: SealedColumnName, id: string) => `${column}:${id}`;

/** How long an opened secret is kept by default: hot paths (callbacks, attaches, deliveries) decrypt once a minute. */
const defaultTtlMs = 60_000;
/** A bound on what is kept; past it the cache starts over. */
const maxEntries = 10_000;

/**
 * The secret sealer over the credential cipher. What it opened is kept `ttlMs` in memory, keyed by
 * the row and its exact sealed value: a row sealed anew (or re-wrapped) is opened again, never
 * answered from a stale entry. The Worker composes one per invocation; Node one per process.
 */
export function createSecretSealer(
  cipher: CredentialCipher,
  clock: Clock,
  options: { ttlMs?: number } = {},
): SecretSealer {
  const ttlMs = options.ttlMs ?? defaultTtlMs;
  const now = () => clock.now().getTime();
  const opened = new Map<string, { wrappedKey: string; ciphertext: string; plaintext: string; until: number }>();
  return {
    seal: (column, id, plaintext) => cipher.seal(plaintext, sealedColumnAad(column, id)),
    async open(column, id, sealed: SealedSecret) {
      const key = sealedColumnAad(column, id);
      const hit = opened.get(key);
      const at = now();
      if (
        hit !== undefined &&
        hit.until > at &&
        hit.wrappedKey === sealed.wrappedKey &&
        hit.ciphertext === sealed.ciphertext
      )
        return hit.plaintext;
      const plaintext = await cipher.open(sealed, key);
      if (opened.size >= maxEntries) opened.clear();
      opened.set(key, { wrappedKey: sealed.wrappedKey, ciphertext: sealed.ciphertext, plaintext, until: at + ttlMs });
      return plaintext;
    },
  };
}
