import * as client from 'openid-client';
import { IntegrationError } from '../../domain/integrations/errors.ts';
import type { GoogleAuthorizationRequest, GoogleOAuth, GoogleTokens } from '../../ports/google.ts';

/** The one scope Baton asks for: files Baton creates, and folders the user picked for it. */
export const GOOGLE_DRIVE_FILE_SCOPE = 'https://www.googleapis.com/auth/drive.file';

/** Baton's OAuth client at Google (a "Web application" client in the Google Cloud console). */
export interface GoogleOAuthClientOptions {
  readonly clientId: string;
  /** Never logged, never part of an error. */
  readonly clientSecret: string;
  /** Default `https://accounts.google.com/o/oauth2/v2/auth`. */
  readonly authUrl?: string;
  /** Default `https://oauth2.googleapis.com/token`. */
  readonly tokenUrl?: string;
  /** Default `https://oauth2.googleapis.com/revoke`. */
  readonly revokeUrl?: string;
  /** Bound on each call to Google, the answer's body included (default 30 000). */
  readonly timeoutMs?: number;
  /** Defaults to the global `fetch`. */
  readonly fetch?: typeof fetch;
  /** Allow http:// endpoints (a local stand-in in tests). Never in production. */
  readonly allowInsecureHttp?: boolean;
}

/** What a failed call was doing, for the message and for what `invalid_grant` means. */
type Action = 'exchange' | 'refresh' | 'revoke';
const DOING: Readonly<Record<Action, string>> = {
  exchange: 'finishing the Google Drive connection',
  refresh: 'refreshing the Google Drive access token',
  revoke: 'revoking the Google Drive connection',
};

/** Marks a failure of the request itself (refused connection, DNS, timeout), as opposed to an answer. */
class Unreachable extends Error {}

/**
 * Google's OAuth 2.0 endpoints on openid-client, configured from static metadata (plain OAuth 2: no
 * discovery, no `openid` scope, so no ID token to verify). The client authenticates with
 * `client_secret_post`. The code exchange goes through `genericGrantRequest` with the exact
 * `redirect_uri`, because `authorizationCodeGrant` would rebuild it from a callback URL and check
 * `state`, which the caller has already done with the session it keeps.
 */
export function createGoogleOAuthClient(options: GoogleOAuthClientOptions): GoogleOAuth {
  const config = new client.Configuration(
    {
      issuer: 'https://accounts.google.com',
      authorization_endpoint: options.authUrl ?? 'https://accounts.google.com/o/oauth2/v2/auth',
      token_endpoint: options.tokenUrl ?? 'https://oauth2.googleapis.com/token',
      revocation_endpoint: options.revokeUrl ?? 'https://oauth2.googleapis.com/revoke',
    },
    options.clientId,
    { client_secret: options.clientSecret },
    client.ClientSecretPost(options.clientSecret),
  );
  // openid-client aborts each request (and the reading of its body) after `timeout` seconds.
  config.timeout = (options.timeoutMs ?? 30_000) / 1000;
  const send = options.fetch ?? fetch;
  config[client.customFetch] = async (url, init) => {
    try {
      return await send(url, init as RequestInit);
    } catch (error) {
      throw new Unreachable('the request to Google failed', { cause: error });
    }
  };
  if (options.allowInsecureHttp === true) client.allowInsecureRequests(config);

  return {
    authorizationUrl(request: GoogleAuthorizationRequest): URL {
      return client.buildAuthorizationUrl(config, {
        redirect_uri: request.redirectUri,
        response_type: 'code',
        scope: GOOGLE_DRIVE_FILE_SCOPE,
        state: request.state,
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
        // A refresh token, and (with the forced consent screen) a new one on every connect, even when
        // the account granted Baton access before.
        access_type: 'offline',
        prompt: 'consent',
        include_granted_scopes: 'true',
        ...(request.loginHint === undefined ? {} : { login_hint: request.loginHint }),
      });
    },

    async exchangeCode(code: string, codeVerifier: string, redirectUri: string): Promise<GoogleTokens> {
      let answer: client.TokenEndpointResponse;
      try {
        answer = await client.genericGrantRequest(config, 'authorization_code', {
          code,
          code_verifier: codeVerifier,
          redirect_uri: redirectUri,
        });
      } catch (error) {
        throw failure(error, 'exchange');
      }
      const scopes = scopesOf(answer);
      // The consent screen lets the user untick scopes; without drive.file the connection could do nothing.
      if (!scopes.includes(GOOGLE_DRIVE_FILE_SCOPE)) {
        throw new IntegrationError(
          'google',
          'integration_denied',
          'Access to Google Drive was not granted on Google’s consent ' +
            'screen; connect again and allow Baton to create files in your Drive',
        );
      }
      if (answer.refresh_token === undefined) {
        throw new IntegrationError(
          'google',
          'integration_rejected',
          'Google granted no offline access (no refresh token), so ' +
            'Baton cannot keep the Google Drive connection; connect again',
        );
      }
      return tokensOf(answer, answer.refresh_token, scopes);
    },

    async refresh(refreshToken: string): Promise<GoogleTokens> {
      let answer: client.TokenEndpointResponse;
      try {
        answer = await client.refreshTokenGrant(config, refreshToken);
      } catch (error) {
        throw failure(error, 'refresh');
      }
      // Google answers a refresh without a refresh token: the one we hold stays valid.
      return tokensOf(answer, answer.refresh_token ?? refreshToken, scopesOf(answer));
    },

    async revoke(token: string): Promise<void> {
      try {
        await client.tokenRevocation(config, token);
      } catch (error) {
        // Google answers 400 invalid_token for a token that is already revoked or expired: nothing left to do.
        if (error instanceof client.ResponseBodyError && error.error === 'invalid_token') return;
        throw failure(error, 'revoke');
      }
    },
  };
}

function tokensOf(answer: client.TokenEndpointResponse, refreshToken: string, scopes: string[]): GoogleTokens {
  // Google always sends expires_in (3599); an hour is its documented lifetime should it ever be missing.
  const seconds = answer.expires_in ?? 3600;
  return { accessToken: answer.access_token, refreshToken, expiresAt: new Date(Date.now() + seconds * 1000), scopes };
}

/** The granted scopes; RFC 6749 §5.1: an answer without `scope` granted exactly what was asked. */
function scopesOf(answer: client.TokenEndpointResponse): string[] {
  return answer.scope === undefined
    ? [GOOGLE_DRIVE_FILE_SCOPE]
    : answer.scope.split(' ').filter((scope) => scope !== '');
}

/** The error and its causes, outermost first (openid-client wraps what fetch and oauth4webapi throw). */
function* causes(error: unknown): Generator<unknown> {
  for (let current = error, depth = 0; current !== undefined && current !== null && depth < 8; depth += 1) {
    yield current;
    current = (current as { cause?: unknown }).cause;
  }
}

/** The HTTP status Google answered with, when the failure was an answer at all. */
function statusOf(error: unknown): number | undefined {
  for (const cause of causes(error)) {
    if (cause instanceof client.ResponseBodyError || cause instanceof client.WWWAuthenticateChallengeError)
      return cause.status;
    if (cause instanceof Response) return cause.status;
  }
  return undefined;
}

function unreachable(error: unknown): boolean {
  for (const cause of causes(error)) {
    if (cause instanceof Unreachable) return true;
    // A body that stops arriving: the timeout fires while oauth4webapi reads it.
    if (cause instanceof DOMException && (cause.name === 'TimeoutError' || cause.name === 'AbortError')) return true;
  }
  return false;
}

/**
 * An openid-client failure as an `IntegrationError`. Messages name the OAuth error code at most: never a
 * token, a code or the client secret (they stay in `cause`, which holds no request body).
 */
function failure(error: unknown, action: Action): IntegrationError {
  const doing = DOING[action];
  if (unreachable(error)) {
    return new IntegrationError(
      'google',
      'integration_unavailable',
      `Google did not answer while ${doing}; try again later`,
      { cause: error },
    );
  }
  const status = statusOf(error);
  if (status !== undefined && (status >= 500 || status === 429)) {
    return new IntegrationError(
      'google',
      'integration_unavailable',
      `Google is unavailable (status ${status}) while ${doing}; try again later`,
      { cause: error, status },
    );
  }
  const code = error instanceof client.ResponseBodyError ? error.error : undefined;
  if (code === 'invalid_grant' && action === 'refresh') {
    return new IntegrationError(
      'google',
      'integration_revoked',
      'The Google Drive connection was revoked or has expired; an admin must connect it again',
      { cause: error, status },
    );
  }
  if (code === 'invalid_grant') {
    return new IntegrationError(
      'google',
      'integration_rejected',
      'Google refused the sign-in’s authorization code (expired, already ' +
        'used, or from another attempt); start connecting Google Drive again',
      { cause: error, status },
    );
  }
  if (code === 'invalid_client' || status === 401) {
    return new IntegrationError(
      'google',
      'integration_rejected',
      `Google did not accept Baton’s OAuth client while ${doing}; an ` +
        `operator must check the configured Google client ID and secret`,
      { cause: error, status },
    );
  }
  if (status !== undefined) {
    return new IntegrationError(
      'google',
      'integration_rejected',
      `Google refused the request while ${doing} (${code ?? `status ${status}`})`,
      { cause: error, status },
    );
  }
  // A 200 that is not a token answer (a proxy's page, a cut-off body): Google misbehaved, not the grant.
  return new IntegrationError(
    'google',
    'integration_unavailable',
    `Google’s answer could not be understood while ${doing}; try again later`,
    { cause: error },
  );
}
