import * as client from 'openid-client';
import { LoginFailedError } from '../../domain/errors.ts';
import type { IdentityProvider, LoginChecks, VerifiedIdentity } from '../../ports/identity-provider.ts';

/** Options of the OIDC relying party. */
export interface OpenIdClientOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Allow an http:// issuer (development identity provider, tests). Never in production. */
  readonly allowHttp?: boolean;
}

/**
 * The relying party on openid-client: discovery (cached after the first success), the
 * authorization code flow with PKCE (S256), state and nonce, and ID token verification including
 * its signature against the provider's JWKS (non-repudiation checks: a tampered or wrongly signed
 * token is refused even though it arrived over the back channel).
 */
export function createOpenIdClientProvider(options: OpenIdClientOptions): IdentityProvider {
  let configuration: Promise<client.Configuration> | undefined;
  const configure = () => {
    configuration ??= client
      .discovery(
        new URL(options.issuer),
        options.clientId,
        { id_token_signed_response_alg: 'RS256' },
        client.ClientSecretPost(options.clientSecret),
        {
          execute: [
            client.enableNonRepudiationChecks,
            ...(options.allowHttp === true ? [client.allowInsecureRequests] : []),
          ],
        },
      )
      .catch((error: unknown) => {
        configuration = undefined; // retry discovery on the next login
        throw new LoginFailedError(`The identity provider at ${options.issuer} could not be reached`, { cause: error });
      });
    return configuration;
  };

  return {
    async authorizationUrl(checks: LoginChecks, redirectUri: string): Promise<URL> {
      const config = await configure();
      return client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'openid email profile',
        response_type: 'code',
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: 'S256',
      });
    },

    async finish(callbackUrl: URL, checks: LoginChecks): Promise<VerifiedIdentity> {
      const config = await configure();
      let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
      try {
        tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          pkceCodeVerifier: checks.codeVerifier,
          idTokenExpected: true,
        });
      } catch (error) {
        throw new LoginFailedError(`The login could not be verified: ${describe(error)}`, { cause: error });
      }
      const claims = tokens.claims();
      if (claims === undefined) throw new LoginFailedError('The identity provider returned no ID token');
      return {
        issuer: claims.iss,
        subject: claims.sub,
        email: typeof claims.email === 'string' ? claims.email.toLowerCase() : null,
        emailVerified: claims.email_verified === true,
        name: typeof claims.name === 'string' ? claims.name : null,
      };
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof client.ResponseBodyError)
    return `${error.error}${error.error_description === undefined ? '' : ` (${error.error_description})`}`;
  if (error instanceof client.AuthorizationResponseError) return error.error;
  return error instanceof Error ? error.message : String(error);
}
