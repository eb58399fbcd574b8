import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../ports/logger.ts';

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
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), use: 'sig', alg: 'RS256' };

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(error.code === 'EADDRINUSE' ? new Error(`The development identity provider cannot listen on port ${options.port}: it is in use. Set BATON_DEV_IDP_PORT to a free port (or OIDC_ISSUER to a real provider).`, { cause: error }) : error);
    });
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const issuer = options.issuer ?? `http://${options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host}:${port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: 'baton',
        client_secret: clientSecret,
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
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}`, policy: alwaysAskPolicy() },
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string) => ({
      accountId: sub,
      claims: async () => ({ sub, email: sub, email_verified: true, name: names.get(sub) ?? sub.split('@')[0] }),
    }),
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = page('Sign-in error', `<p>${escape(String(out.error))}: ${escape(String(out.error_description ?? ''))}</p>`);
    },
  });
  provider.proxy = false;
  provider.on('server_error', (_ctx: unknown, error: Error) => options.logger.warn({ err: error }, 'development identity provider error'));

  const oidc = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (match === null) {
      oidc(req, res);
      return;
    }
    handleInteraction(provider, names, req, res, match[2] !== undefined).catch((error: unknown) => {
      options.logger.warn({ err: error }, 'development identity provider interaction failed');
      if (!res.headersSent) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Sign-in failed', '<p>This sign-in has expired or is invalid. Start again from Baton.</p>'));
      }
    });
  });
  options.logger.info({ issuer }, 'development identity provider: sign in as any e-mail');

  return {
    issuer,
    listenUrl: `http://127.0.0.1:${port}`,
    clientId: 'baton',
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
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
    new interactionPolicy.Check('dev_always_ask', 'The development provider asks on every sign-in', (ctx: KoaContextWithOIDC) =>
      ctx.oidc.result?.login === undefined ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
    ),
  );
  return policy;
}

/** The login page and its submission; consent is granted at once (it is our own client). */
async function handleInteraction(provider: Provider, names: Map<string, string>, req: IncomingMessage, res: ServerResponse, submitted: boolean): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  if (!submitted && details.prompt.name === 'login') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(
      page(
        'Sign in to Baton (development)',
        `<form method="post" action="/interaction/${escape(details.uid)}/login">
  <label>E-mail <input name="email" type="email" required autofocus></label>
  <label>Name <input name="name" type="text"></label>
  <button type="submit">Sign in</button>
</form>
<p>Development identity provider: any e-mail signs in, no password.</p>`,
      ),
    );
    return;
  }
  let accountId = details.session?.accountId;
  if (submitted) {
    const form = new URLSearchParams(await readBody(req));
    const email = (form.get('email') ?? '').trim().toLowerCase();
    if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page('Sign in', '<p>Enter an e-mail address.</p>'));
      return;
    }
    const name = (form.get('name') ?? '').trim();
    if (name !== '') names.set(email, name.slice(0, 200));
    accountId = email;
  }
  if (accountId === undefined) throw new Error('no account for the interaction');
  const clientId = String(details.params.client_id);
  const grant = details.grantId === undefined ? new provider.Grant({ accountId, clientId }) : ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }));
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
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
