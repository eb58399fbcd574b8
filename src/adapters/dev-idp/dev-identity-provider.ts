import { randomBytes } from 'node:crypto';
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../ports/logger.ts';
import {
  escapeHtml,
  readForm,
  sendPage,
  startOidcServer,
  type InteractionRequest,
  type SignInStep,
} from '../oidc-provider/oidc-server.ts';

/** A running development identity provider and the client registration Baton uses with it. */
export interface DevIdentityProvider {
  readonly issuer: string;
  /** Where it actually listens (differs from the issuer when reached through a proxy). */
  readonly listenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

/** Options of the development identity provider. */
export interface DevIdentityProviderOptions {
  /** Port to listen on (0 for any). */
  readonly port: number;
  readonly host: string;
  /** Redirect URIs of the Baton client, e.g. http://localhost:8787/auth/callback. */
  readonly redirectUris: readonly string[];
  readonly logger: Logger;
  /** The issuer URL, when the provider is reached through another address than its own (tests). */
  readonly issuer?: string;
}

/**
 * A real OpenID Connect provider (oidc-provider) for development and tests: authorization code
 * flow with PKCE, RS256-signed ID tokens, and a one-field login page where you sign in as any
 * e-mail (no password). Keys and the client secret are new at every start. Only development
 * configuration starts it; production configuration refuses to.
 */
export async function startDevIdentityProvider(options: DevIdentityProviderOptions): Promise<DevIdentityProvider> {
  const names = new Map<string, string>();
  const clientSecret = randomBytes(24).toString('base64url');
  const server = await startOidcServer({
    label: 'development identity provider',
    host: options.host,
    port: options.port,
    issuer: (port) =>
      options.issuer ??
      `http://${options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host}:${port}`,
    listenError: (error) =>
      error.code === 'EADDRINUSE'
        ? new Error(
            `The development identity provider cannot listen on port ${options.port}: it is ` +
              `in use. Set BATON_DEV_IDP_PORT to a free port (or OIDC_ISSUER to a real provider).`,
            { cause: error },
          )
        : error,
    client: { id: 'baton', secret: clientSecret, redirectUris: options.redirectUris },
    policy: alwaysAskPolicy(),
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, email: sub, email_verified: true, name: names.get(sub) ?? sub.split('@')[0] }),
    }),
    signIn: (request) => signIn(names, request),
    logger: options.logger,
  });
  options.logger.info({ issuer: server.issuer }, 'development identity provider: sign in as any e-mail');

  return {
    issuer: server.issuer,
    listenUrl: `http://127.0.0.1:${server.address.port}`,
    clientId: 'baton',
    clientSecret,
    close: () => server.close(),
  };
}

/**
 * The default policy, plus: ask who you are on every sign-in, even with a provider session, so a
 * developer can switch between users (sign out of Baton, sign in as someone else).
 */
function alwaysAskPolicy() {
  const policy = interactionPolicy.base();
  const login = policy.get('login');
  login?.checks.add(
    new interactionPolicy.Check(
      'dev_always_ask',
      'The development provider asks on every sign-in',
      (ctx: KoaContextWithOIDC) =>
        ctx.oidc.result?.login === undefined
          ? interactionPolicy.Check.REQUEST_PROMPT
          : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}

/** The login page and its submission: any e-mail signs in, with the name given if any. */
async function signIn(
  names: Map<string, string>,
  { details, req, res, submitted }: InteractionRequest,
): Promise<SignInStep> {
  if (!submitted) {
    if (details.prompt.name !== 'login') return {};
    sendPage(
      res,
      200,
      'Sign in to Baton (development)',
      `<form method="post" action="/interaction/${escapeHtml(details.uid)}/login">
  <label>E-mail <input name="email" type="email" required autofocus></label>
  <label>Name <input name="name" type="text"></label>
  <button type="submit">Sign in</button>
</form>
<p>Development identity provider: any e-mail signs in, no password.</p>`,
      'no-store',
    );
    return 'answered';
  }
  const form = await readForm(req);
  const email = (form.get('email') ?? '').trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    sendPage(res, 400, 'Sign in', '<p>Enter an e-mail address.</p>');
    return 'answered';
  }
  const name = (form.get('name') ?? '').trim();
  if (name !== '') names.set(email, name.slice(0, 200));
  return { accountId: email };
}
