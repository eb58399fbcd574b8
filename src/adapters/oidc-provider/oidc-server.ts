import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type FindAccount, type interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from '../../ports/logger.ts';

/** One sign-in in progress, as oidc-provider describes it. */
export type InteractionDetails = Awaited<ReturnType<Provider['interactionDetails']>>;

/** A request to an interaction's page: `/interaction/<uid>` shows it, `/interaction/<uid>/login` submits its form. */
export interface InteractionRequest {
  readonly details: InteractionDetails;
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Whether this is the form's submission (`…/login`). */
  readonly submitted: boolean;
}

/**
 * How a provider's own sign-in step ended: `'answered'` when it wrote the response itself (its form,
 * a refusal); otherwise the account to sign in as, or none to go on with the provider session's.
 */
export type SignInStep = 'answered' | { readonly accountId?: string };

/** Options of {@link startOidcServer}: what differs between Baton's own identity providers. */
export interface OidcServerOptions {
  /** Names the provider in log lines, e.g. `demo identity provider`. */
  readonly label: string;
  readonly host: string;
  /** Port to listen on (0 for any). */
  readonly port: number;
  /** The issuer URL, given the port it listens on. */
  issuer(port: number): string;
  /** The error to throw when it cannot listen (by default the listen error itself). */
  listenError?(error: NodeJS.ErrnoException): Error;
  /** Baton's client registration. */
  readonly client: { readonly id: string; readonly secret: string; readonly redirectUris: readonly string[] };
  readonly findAccount: FindAccount;
  /** When to ask for an interaction (by default oidc-provider's policy). */
  readonly policy?: readonly interactionPolicy.Prompt[];
  /** The provider's login page and its submission; consent is then granted at once (Baton is its own client). */
  signIn(request: InteractionRequest): Promise<SignInStep>;
  readonly logger: Logger;
}

/** A running OpenID Connect provider. */
export interface OidcServer {
  readonly issuer: string;
  /** Where it listens. */
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/**
 * A real OpenID Connect provider (oidc-provider) on its own HTTP server, as Baton's development and
 * demo providers run it: authorization code flow with PKCE for one confidential client, RS256-signed
 * ID tokens under a key new at every start, sessions in memory, and interactions at
 * `/interaction/<uid>` answered by `options.signIn`.
 */
export async function startOidcServer(options: OidcServerOptions): Promise<OidcServer> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    use: 'sig',
    alg: 'RS256',
  };

  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(options.listenError?.(error) ?? error));
    server.listen(options.port, options.host, () => resolve());
  });
  // From here to the request handler nothing awaits, so no request arrives before it is in place.
  const address = server.address() as AddressInfo;
  const issuer = options.issuer(address.port);

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: options.client.id,
        client_secret: options.client.secret,
        redirect_uris: [...options.client.redirectUris],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: {
      url: (_ctx: KoaContextWithOIDC, interaction) => `/interaction/${interaction.uid}`,
      ...(options.policy === undefined ? {} : { policy: options.policy }),
    },
    findAccount: options.findAccount,
    renderError: async (ctx: KoaContextWithOIDC, out) => {
      ctx.type = 'html';
      ctx.body = htmlPage(
        'Sign-in error',
        `<p>${escapeHtml(String(out.error))}: ${escapeHtml(String(out.error_description ?? ''))}</p>`,
      );
    },
  });
  // Reached directly (no proxy in front), so X-Forwarded-* is not trusted.
  provider.proxy = false;
  provider.on('server_error', (_ctx: unknown, error: Error) =>
    options.logger.warn({ err: error }, `${options.label} error`),
  );

  const oidc = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (match === null) {
      // Koa's callback answers its own errors (ctx.onerror): the promise it returns does not reject.
      void oidc(req, res);
      return;
    }
    interact(provider, options, req, res, match[2] !== undefined).catch((error: unknown) => {
      options.logger.warn({ err: error }, `${options.label} interaction failed`);
      if (!res.headersSent)
        sendPage(res, 400, 'Sign-in failed', '<p>This sign-in has expired or is invalid. Start again from Baton.</p>');
    });
  });

  return {
    issuer,
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One interaction request: the provider's sign-in step, then the grant of the scopes asked for. */
async function interact(
  provider: Provider,
  options: OidcServerOptions,
  req: IncomingMessage,
  res: ServerResponse,
  submitted: boolean,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const step = await options.signIn({ details, req, res, submitted });
  if (step === 'answered') return;
  const accountId = step.accountId ?? details.session?.accountId;
  if (accountId === undefined) throw new Error('no account for the interaction');
  const clientId = String(details.params.client_id);
  const grant =
    details.grantId === undefined
      ? new provider.Grant({ accountId, clientId })
      : ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId }));
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(
    req,
    res,
    { login: { accountId }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

/** The submitted form of a request (at most 10,000 characters; a larger body destroys the request). */
export function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > 10_000) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

/**
 * Answers with a small self-contained HTML page: `title` is escaped here, `body` is HTML the caller has
 * escaped. `'no-store'` for pages that hold a form.
 */
export function sendPage(
  res: ServerResponse,
  status: number,
  title: string,
  body: string,
  cache: 'no-store' | 'default' = 'default',
): void {
  res.writeHead(
    status,
    cache === 'no-store'
      ? { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }
      : { 'content-type': 'text/html; charset=utf-8' },
  );
  res.end(htmlPage(title, body));
}

function htmlPage(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto}label{display:block;margin:.75rem \
0}input{display:block;width:100%;padding:.4rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** `text` made safe for HTML text and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
