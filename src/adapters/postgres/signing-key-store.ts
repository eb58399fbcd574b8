import type { Database } from './database.ts';

/** A signing key as stored. */
export interface StoredSigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly publicJwk: Record<string, unknown>;
  readonly privateJwk: Record<string, unknown>;
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** Signing keys in Postgres (the private part is plain until the credentials store encrypts it). */
export function createSigningKeyStore(db: Database) {
  const toKey = (r: { kid: string; alg: string; public_jwk: unknown; private_jwk: unknown; created_at: Date; expires_at: Date }): StoredSigningKey => ({
    kid: r.kid,
    alg: r.alg,
    publicJwk: r.public_jwk as Record<string, unknown>,
    privateJwk: r.private_jwk as Record<string, unknown>,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  });
  return {
    /** Keys not yet expired at `now`, newest first. */
    async unexpired(now: Date): Promise<StoredSigningKey[]> {
      return (await db.selectFrom('signing_keys').selectAll().where('expires_at', '>', now).orderBy('created_at', 'desc').execute()).map(toKey);
    },
    async add(key: Omit<StoredSigningKey, 'createdAt'> & { createdAt: Date }): Promise<void> {
      await db
        .insertInto('signing_keys')
        .values({ kid: key.kid, alg: key.alg, public_jwk: JSON.stringify(key.publicJwk), private_jwk: JSON.stringify(key.privateJwk), created_at: key.createdAt, expires_at: key.expiresAt })
        .execute();
    },
  };
}

/** The store the token signer needs. */
export type SigningKeyStore = ReturnType<typeof createSigningKeyStore>;
