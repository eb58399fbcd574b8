/**
 * Google Drive as a workspace integration: the OAuth 2.0 grant (authorization code with PKCE, offline
 * access) and the few Drive v3 calls Baton makes with it. Failures are `IntegrationError`s with provider
 * `google` (`src/domain/integrations/errors.ts`); their messages never carry a token or a code.
 */

/** What Google's token endpoint granted. Tokens are secrets: store them encrypted, never log them. */
export interface GoogleTokens {
  /** Bearer token for Drive calls; it lives about an hour. */
  readonly accessToken: string;
  /** Long-lived token that gets new access tokens; it stays valid until revoked or unused for months. */
  readonly refreshToken: string;
  /** When `accessToken` stops working (computed from `expires_in` on arrival). */
  readonly expiresAt: Date;
  /** Every scope the grant holds (with `include_granted_scopes`, also ones granted earlier). */
  readonly scopes: string[];
}

/** What the browser is sent to Google with, to start connecting a workspace. */
export interface GoogleAuthorizationRequest {
  /** Opaque value that binds the callback to this attempt; the caller checks it on return. */
  readonly state: string;
  /** The S256 PKCE challenge of a verifier the caller keeps until the callback. */
  readonly codeChallenge: string;
  /** Baton's callback URL, exactly as registered with the OAuth client. */
  readonly redirectUri: string;
  /** The email of the Google account to preselect, when known. */
  readonly loginHint?: string;
}

/** Google's OAuth 2.0 authorization server, from Baton's (a confidential web client's) side. */
export interface GoogleOAuth {
  /**
   * The consent URL: response type `code`, PKCE S256, offline access with a forced consent screen (so
   * Google sends a refresh token every time), incremental scopes, and the `drive.file` scope only.
   */
  authorizationUrl(request: GoogleAuthorizationRequest): URL;
  /**
   * Trades the callback's code (the caller has checked `state`) for tokens. Rejects when the code is
   * expired, used or not from this PKCE pair, when Google sent no refresh token, or when the user
   * unticked Drive access on the consent screen (`integration_denied`).
   */
  exchangeCode(code: string, codeVerifier: string, redirectUri: string): Promise<GoogleTokens>;
  /**
   * A fresh access token. Google usually keeps the refresh token: the answer then carries the one passed
   * in. A revoked or expired refresh token rejects with `integration_revoked`.
   */
  refresh(refreshToken: string): Promise<GoogleTokens>;
  /** Revokes the whole grant (refresh token and its access tokens); a token that is already invalid counts as done. */
  revoke(token: string): Promise<void>;
}

/** The Google account a grant belongs to. */
export interface GoogleAccount {
  readonly email: string;
  readonly displayName: string;
}

/** A document to write into a Drive folder. */
export interface GoogleDocumentDraft {
  /** The Drive folder's id; with the `drive.file` scope it must have been chosen through Google's picker. */
  readonly folderId: string;
  /** The document's title. */
  readonly name: string;
  /** The body, as Markdown; Drive converts it to a Google Doc. */
  readonly markdown: string;
}

/** A document Drive created. */
export interface GoogleDocument {
  readonly id: string;
  readonly name: string;
  /** Where a person opens it in the browser. */
  readonly url: string;
}

/**
 * The Drive v3 calls Baton makes. Each takes a current access token: the caller refreshes it first when
 * it is about to expire; a 401 rejects with `integration_revoked` and is not retried here.
 */
export interface GoogleDrive {
  /** The account the token acts for (shown on the integration's page). */
  about(accessToken: string): Promise<GoogleAccount>;
  /**
   * Creates a Google Doc from Markdown in a folder; an unknown or unshared folder rejects with `integration_denied`.
   */
  createDocument(accessToken: string, doc: GoogleDocumentDraft): Promise<GoogleDocument>;
}
