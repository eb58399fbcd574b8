import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import type { Clock } from '../../ports/clock.ts';
import type { PublicJwk, TokenSigner } from '../../ports/token-signer.ts';
import type { SigningKeyStore } from '../postgres/signing-key-store.ts';

/** The longest a token Baton signs may live (terminal attach tokens: five minutes). */
export const maxTokenTtlSeconds = 300;
const alg = 'ES256';

/**
 * Tokens signed with ES256 keys kept in Postgres (so every instance signs with the same keys and
 * publishes the same set), their private parts sealed with the credential keys. A key signs for
 * `rotateAfterMs`; then a new one is made, and the old one stays published until every token it
 * signed has expired.
 */
export class JoseTokenSigner implements TokenSigner {
  readonly #store: SigningKeyStore;
  readonly #clock: Clock;
  readonly #issuer: string;
  readonly #rotateAfterMs: number;
  #current: { kid: string; key: CryptoKey | Uint8Array; until: number } | undefined;

  constructor(options: { store: SigningKeyStore; clock: Clock; issuer: string; rotateAfterMs: number }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#issuer = options.issuer;
    this.#rotateAfterMs = options.rotateAfterMs;
  }

  async sign(
    claims: { subject: string; audience: string; extra?: Readonly<Record<string, string>> },
    ttlSeconds: number,
  ): Promise<{ token: string; expiresAt: Date }> {
    const now = this.#clock.now();
    const ttl = Math.min(Math.max(1, Math.floor(ttlSeconds)), maxTokenTtlSeconds);
    const { kid, key } = await this.#signingKey(now);
    const expiresAt = new Date(Math.floor(now.getTime() / 1000) * 1000 + ttl * 1000);
    const token = await new SignJWT({ ...claims.extra })
      .setProtectedHeader({ alg, kid, typ: 'JWT' })
      .setIssuer(this.#issuer)
      .setSubject(claims.subject)
      .setAudience(claims.audience)
      .setIssuedAt(Math.floor(now.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .setJti(crypto.randomUUID())
      .sign(key);
    return { token, expiresAt };
  }

  async jwks(): Promise<{ keys: PublicJwk[] }> {
    const keys = await this.#store.unexpired(this.#clock.now());
    return { keys: keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' })) };
  }

  async #signingKey(now: Date): Promise<{ kid: string; key: CryptoKey | Uint8Array }> {
    if (this.#current !== undefined && now.getTime() < this.#current.until) return this.#current;
    const [newest] = await this.#store.unexpired(now);
    const usable =
      newest !== undefined && now.getTime() - newest.createdAt.getTime() < this.#rotateAfterMs ? newest : undefined;
    let chosen: { kid: string; createdAt: Date; privateJwk: Record<string, unknown> };
    if (usable !== undefined) {
      // Sealed at rest: opened here, at most once a minute (see `#current`).
      chosen = { kid: usable.kid, createdAt: usable.createdAt, privateJwk: await usable.privateJwk() };
    } else {
      const pair = await generateKeyPair(alg, { extractable: true });
      const kid = crypto.randomUUID();
      // Published until the last token it can sign has expired.
      const expiresAt = new Date(now.getTime() + this.#rotateAfterMs + maxTokenTtlSeconds * 1000 + 60_000);
      chosen = { kid, createdAt: now, privateJwk: { ...(await exportJWK(pair.privateKey)) } };
      await this.#store.add({
        kid,
        alg,
        publicJwk: { ...(await exportJWK(pair.publicKey)) },
        privateJwk: chosen.privateJwk,
        createdAt: now,
        expiresAt,
      });
    }
    const key = await importJWK(chosen.privateJwk as JWK, alg);
    // Re-check the store at most once a minute, and never sign with a key past its signing period.
    this.#current = {
      kid: chosen.kid,
      key,
      until: Math.min(now.getTime() + 60_000, chosen.createdAt.getTime() + this.#rotateAfterMs),
    };
    return this.#current;
  }
}
