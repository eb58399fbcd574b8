/** The checks that bind a callback to the login that started it. */
export interface LoginChecks {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

/** Who the identity provider says signed in (from a verified ID token). */
export interface VerifiedIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly email: string | null;
  readonly emailVerified: boolean;
  readonly name: string | null;
}

/** An OpenID Connect provider, from the relying party's side (authorization code flow with PKCE). */
export interface IdentityProvider {
  /** The URL to send the browser to, carrying state, nonce and the PKCE challenge. */
  authorizationUrl(checks: LoginChecks, redirectUri: string): Promise<URL>;
  /**
   * Exchanges the code in the callback URL and verifies the ID token (signature, issuer, audience,
   * nonce, expiry). Rejects with LoginFailedError on any mismatch or provider error.
   */
  finish(callbackUrl: URL, checks: LoginChecks): Promise<VerifiedIdentity>;
}
