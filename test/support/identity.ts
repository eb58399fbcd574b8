import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  startDevIdentityProvider,
  type DevIdentityProvider,
} from '../../src/adapters/dev-idp/dev-identity-provider.ts';
import type { TestBrowser } from './browser.ts';
import { silentLogger } from './silent-logger.ts';

/** How the proxy in front of the provider treats ID tokens in token responses. */
export type TokenMode = 'pass' | 'tamper-claims' | 'wrong-key';

/**
 * A real OIDC provider (the development one, oidc-provider) behind a proxy that the test can turn
 * hostile: it forwards everything, and can alter the ID token in token responses (change a claim,
 * or re-sign it with a key the provider never published) to prove Baton refuses such tokens.
 */
export interface ProxiedProvider {
  /** The issuer URL (the proxy): give this to Baton as OIDC_ISSUER. */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  mode: TokenMode;
  close(): Promise<void>;
}

/** Starts the provider (for Baton's callback URL) behind a proxy. */
export async function startProxiedProvider(batonCallbackUrl: string): Promise<ProxiedProvider> {
  const proxy = createServer();
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  const issuer = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const idp: DevIdentityProvider = await startDevIdentityProvider({
    port: 0,
    host: '127.0.0.1',
    redirectUris: [batonCallbackUrl],
    logger: silentLogger,
    issuer,
  });
  const upstream = idp.listenUrl;
  const { privateKey: wrongKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const state: ProxiedProvider = {
    issuer,
    clientId: idp.clientId,
    clientSecret: idp.clientSecret,
    mode: 'pass',
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      await idp.close();
    },
  };

  proxy.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    const forward = async () => {
      try {
        const headers = new Headers();
        for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host') headers.set(k, v);
        const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
        const answer = await fetch(`${upstream}${req.url ?? '/'}`, {
          method: req.method,
          headers,
          body,
          redirect: 'manual',
        });
        // The provider names its own address in metadata, pages and redirects: point them at the proxy.
        let text = Buffer.from((await answer.text()).replaceAll(upstream, issuer));
        if ((req.url ?? '').startsWith('/token') && answer.ok && state.mode !== 'pass') {
          const json = JSON.parse(text.toString()) as { id_token: string };
          json.id_token = alter(json.id_token, state.mode, wrongKey);
          text = Buffer.from(JSON.stringify(json));
        }
        const out: Record<string, string | string[]> = {};
        answer.headers.forEach((value, key) => {
          if (key === 'location') out[key] = value.replace(upstream, issuer);
          else if (
            key !== 'content-length' &&
            key !== 'content-encoding' &&
            key !== 'set-cookie' &&
            key !== 'transfer-encoding'
          )
            out[key] = value;
        });
        const cookies = answer.headers.getSetCookie();
        if (cookies.length > 0) out['set-cookie'] = cookies;
        res.writeHead(answer.status, out);
        res.end(text);
      } catch (error) {
        res.writeHead(502);
        res.end(String(error));
      }
    };
    // forward answers its own failures (502): its promise never rejects.
    req.on('end', () => void forward());
  });
  return state;
}

function alter(
  idToken: string,
  mode: TokenMode,
  wrongKey: ReturnType<typeof generateKeyPairSync>['privateKey'],
): string {
  const [header = '', payload = '', signature = ''] = idToken.split('.');
  if (mode === 'tamper-claims') {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    claims.email = 'attacker@evil.test';
    claims.sub = 'attacker@evil.test';
    return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
  }
  const resigned = sign('sha256', Buffer.from(`${header}.${payload}`), wrongKey).toString('base64url');
  return `${header}.${payload}.${resigned}`;
}

/**
 * Drives a login as a person would: Baton's /auth/login, the provider's sign-in page, and back
 * to Baton's callback. Stops before calling the callback and returns its URL, so a test can
 * replay or alter it; `finish` then calls it.
 */
export async function loginUntilCallback(
  browser: TestBrowser,
  batonUrl: string,
  email: string,
  options: { returnTo?: string; name?: string; publicUrl?: string } = {},
): Promise<string> {
  const start =
    `${batonUrl}/auth/login` +
    `${options.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(options.returnTo)}`}`;
  // `publicUrl`: Baton's BATON_PUBLIC_URL when it differs from where the test reaches it (an https one).
  const isCallback = (url: string) => url.startsWith(`${options.publicUrl ?? batonUrl}/auth/callback`);
  const toPage = await browser.follow(start, isCallback);
  if (isCallback(toPage.url)) return toPage.url;
  const html = await toPage.response.text();
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (action === undefined)
    throw new Error(`no sign-in form at ${toPage.url} (status ${toPage.response.status}): ${html.slice(0, 300)}`);
  const form = new URLSearchParams({ email, name: options.name ?? '' });
  const submitted = await browser.follow(new URL(action, toPage.url).toString(), isCallback, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  if (!isCallback(submitted.url))
    throw new Error(
      `the provider did not send the browser back to Baton (ended at ${submitted.url}, status ` +
        `${submitted.response.status}: ${(await submitted.response.text()).slice(0, 300)})`,
    );
  return submitted.url;
}
