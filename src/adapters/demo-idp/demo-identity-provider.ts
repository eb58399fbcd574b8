import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../ports/logger.ts';

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
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };
  const email = options.user.email.toLowerCase();
  const provider = new Provider(options.issuer, {
    clients: [
      {
        client_id: options.clientId,
        client_secret: options.clientSecret,
        redirect_uris: [...options.redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) =>
      sub === email ? { accountId: sub, claims: async () => ({ sub, email, email_verified: true, name: options.user.name }) } : undefined,
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<p>${escape(String(out.error))}: ${escape(String(out.error_description ?? ''))}</p>`);
    },
  });
  // Baton's stack reaches it directly (no proxy in front), so X-Forwarded-* is not trusted.
  provider.proxy = false;
  provider.on('server_error', (_ctx: unknown, error: Error) => options.logger.warn({ err: error }, 'demo identity provider error'));

  const oidc = provider.callback();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (match === null) {
      oidc(req, res);
      return;
    }
    interact(provider, options.user, req, res, match[2] !== undefined).catch((error: unknown) => {
      options.logger.warn({ err: error }, 'demo identity provider interaction failed');
      if (!res.headersSent) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Sign-in failed', '<p>This sign-in has expired or is invalid. Start again from Baton.</p>'));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  options.logger.info({ issuer: options.issuer, user: email }, 'demo identity provider: one demo user, for a first run only');
  return {
    listenUrl: `http://${address.address}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The login form and its submission, which checks the demo user's password; consent is implied. */
async function interact(provider: Provider, user: DemoUser, req: IncomingMessage, res: ServerResponse, submitted: boolean): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  let accountId = details.session?.accountId;
  if (details.prompt.name === 'login') {
    if (!submitted) {
      loginPage(res, details.uid, 200, '');
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    const email = (form.get('email') ?? '').trim().toLowerCase();
    if (!(sameSecret(email, user.email.toLowerCase()) && sameSecret(form.get('password') ?? '', user.password))) {
      loginPage(res, details.uid, 401, 'Wrong e-mail or password.');
      return;
    }
    accountId = email;
  }
  if (accountId === undefined) throw new Error('no account for the interaction');
  const clientId = String(details.params.client_id);
  const grant = details.grantId === undefined ? new provider.Grant({ accountId, clientId }) : ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }));
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
}

function loginPage(res: ServerResponse, uid: string, status: number, problem: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(
    page(
      'Sign in to Baton (demo)',
      `${problem === '' ? '' : `<p role="alert">${escape(problem)}</p>`}<form method="post" action="/interaction/${escape(uid)}/login">
  <label>E-mail <input name="email" type="email" required autofocus></label>
  <label>Password <input name="password" type="password" required></label>
  <button type="submit">Sign in</button>
</form>
<p>Demo identity provider of Baton's container stack: one user, set in the compose file. Replace it with your own provider (OIDC_ISSUER).</p>`,
    ),
  );
}

/** Compares in constant time (by digest, so lengths leak nothing either). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto}label{display:block;margin:.75rem 0}input{display:block;width:100%;padding:.4rem}</style>
</head><body><h1>${escape(title)}</h1>${body}</body></html>`;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
