import type { SecretSealer } from '../../ports/sealed-secrets.ts';
import type { Database } from './database.ts';
import { openColumn, sealedJson } from './sealed-column.ts';

/** A signing key as stored. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly publicJwk: Record<string, unknown>;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** A stored signing key whose private part can be opened (only signing needs it; publishing never does). */
export interface UnexpiredSigningKey extends StoredSigningKey {
  /** The private JWK, opened with the credential keys. */
  privateJwk(): Promise<Record<string, unknown>>;
}

/**
 * Signing keys in Postgres. The private JWK is sealed with the credential keys
 * (`signing_keys.private_jwk_sealed`, AAD by kid); a row an older Baton left in clear is read as it
 * is until it is sealed.
 */
export function createSigningKeyStore(db: Database, sealer: SecretSealer) {
  return {
    /** Keys not yet expired at `now`, newest first. */
    async unexpired(now: Date): Promise<UnexpiredSigningKey[]> {
      const rows = await db
        .selectFrom('signing_keys')
        .selectAll()
        .where('expires_at', '>', now)
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map((r) => ({
        kid: r.kid,
        alg: r.alg,
        publicJwk: r.public_jwk as Record<string, unknown>,
        createdAt: r.created_at,
        expiresAt: r.expires_at,
        async privateJwk() {
          const text = await openColumn(
            sealer,
            'signing_keys.private_jwk',
            r.kid,
            r.private_jwk_sealed,
            r.private_jwk === null ? null : JSON.stringify(r.private_jwk),
          );
          if (text === undefined) throw new Error(`Signing key ${r.kid} has no private part`);
          return JSON.parse(text) as Record<string, unknown>;
        },
      }));
    },
    async add(key: StoredSigningKey & { privateJwk: Record<string, unknown> }): Promise<void> {
      const sealed = await sealer.seal('signing_keys.private_jwk', key.kid, JSON.stringify(key.privateJwk));
      await db
        .insertInto('signing_keys')
        .values({
          kid: key.kid,
          alg: key.alg,
          public_jwk: JSON.stringify(key.publicJwk),
          private_jwk_sealed: sealedJson(sealed),
          created_at: key.createdAt,
          expires_at: key.expiresAt,
        })
        .execute();
    },
  };
}

/** The store the token signer needs. */
export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;
