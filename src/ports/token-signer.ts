/** A JSON Web Key as published (public part only). */
export type PublicJwk = Readonly<Record<string, unknown>> & { readonly kid: string };

/**
 * Signs short-lived tokens Baton hands out (terminal attach) and publishes the keys to verify them
 * (`/.well-known/jwks.json`). Keys rotate; a retired key stays published while tokens it signed may live.
 */
export interface TokenSigner {
  /** A JWT for `subject` with audience `audience`, valid `ttlSeconds` (the signer caps it at 300). */
  sign(
    claims: { readonly subject: string; readonly audience: string; readonly extra?: Readonly<Record<string, string>> },
    ttlSeconds: number,
  ): Promise<{ readonly token: string; readonly expiresAt: Date }>;
  /** The keys whose tokens may still be valid, newest first. */
  jwks(): Promise<{ readonly keys: readonly PublicJwk[] }>;
}
