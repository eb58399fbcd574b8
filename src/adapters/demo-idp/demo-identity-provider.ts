import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../ports/logger.ts';
import {
  escapeHtml,
  readForm,
  sendPage,
  startOidcServer,
  type InteractionRequest,
  type SignInStep,
} from '../oidc-provider/oidc-server.ts';

/** One person who may sign in at the demo provider. */
export interface DemoUser {
  readonly email: string;
  readonly password: string;
  readonly name: string;
}

/** Options of the demo identity provider (all from the compose file). */
export interface DemoIdentityProviderOptions {
  /** The issuer URL: the same for browsers and for Baton (e.g. http://idp.localhost:5556). */
  readonly issuer: string;
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Baton's redirect URIs (BATON_PUBLIC_URL + /auth/callback). */
  readonly redirectUris: readonly string[];
  readonly user: DemoUser;
  readonly logger: Logger;
}

/** A running demo identity provider. */
export interface DemoIdentityProvider {
  /** Where it listens, e.g. http://0.0.0.0:5556. */
  readonly listenUrl: string;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider) with one user and a password form, so a first
 * self-hosted stack lets a person sign in at once. Demo only: one fixed account, sessions and keys
 * in memory (a restart signs everyone out of the provider, not out of Baton). Operators replace it
 * with their own provider through OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.
 */
export async function startDemoIdentityProvider(options: DemoIdentityProviderOptions): Promise<DemoIdentityProvider> {
  const email = options.user.email.toLowerCase();
  const server = await startOidcServer({
    label: 'demo identity provider',
    host: options.host,
    port: options.port,
    issuer: () => options.issuer,
    client: { id: options.clientId, secret: options.clientSecret, redirectUris: options.redirectUris },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) =>
      sub === email
        ? { accountId: sub, claims: async () => ({ sub, email, email_verified: true, name: options.user.name }) }
        : undefined,
    signIn: (request) => signIn(options.user, request),
    logger: options.logger,
  });
  options.logger.info(
    { issuer: options.issuer, user: email },
    'demo identity provider: one demo user, for a first run only',
  );
  return {
    listenUrl: `http://${server.address.address}:${server.address.port}`,
    close: () => server.close(),
  };
}

/** The login form and its submission, which checks the demo user's password. */
async function signIn(user: DemoUser, { details, req, res, submitted }: InteractionRequest): Promise<SignInStep> {
  if (details.prompt.name !== 'login') return {};
  if (!submitted) {
    loginPage(res, details.uid, 200, '');
    return 'answered';
  }
  const form = await readForm(req);
  const email = (form.get('email') ?? '').trim().toLowerCase();
  if (!(sameSecret(email, user.email.toLowerCase()) && sameSecret(form.get('password') ?? '', user.password))) {
    loginPage(res, details.uid, 401, 'Wrong e-mail or password.');
    return 'answered';
  }
  return { accountId: email };
}

function loginPage(res: ServerResponse, uid: string, status: number, problem: string): void {
  sendPage(
    res,
    status,
    'Sign in to Baton (demo)',
    `${problem === '' ? '' : `<p role="alert">${escapeHtml(problem)}</p>`}<form method="post" action="/interaction/\
${escapeHtml(uid)}/login">
  <label>E-mail <input name="email" type="email" required autofocus></label>
  <label>Password <input name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form>
<p>Demo identity provider of Baton's container stack: one user, set in the compose file. Replace it with your own \
provider (OIDC_ISSUER).</p>`,
    'no-store',
  );
}

/** Compares in constant time (by digest, so lengths leak nothing either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
