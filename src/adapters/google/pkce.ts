import { calculatePKCECodeChallenge, randomPKCECodeVerifier } from 'openid-client';

/** A PKCE pair: the caller keeps `verifier` until the callback and sends `challenge` to Google. */
export interface PkcePair {
  /** 43 characters of base64url randomness (32 bytes); a secret until the code is exchanged. */
  readonly verifier: string;
  /** BASE64URL(SHA-256(verifier)), for `code_challenge_method=S256`. */
  readonly challenge: string;
}

/**
 * A fresh PKCE pair (RFC 7636, S256). openid-client builds it from `crypto.getRandomValues` and
 * `crypto.subtle`, so this runs in workerd as well as on Node.
 */
export async function createPkcePair(): Promise<PkcePair> {
  const verifier = randomPKCECodeVerifier();
  return { verifier, challenge: await calculatePKCECodeChallenge(verifier) };
}
