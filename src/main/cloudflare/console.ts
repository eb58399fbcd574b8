import type { Config } from '../../app/config.ts';
import {
  apiPaths,
  apiPrefixes,
  assetPrefix,
  consolePageHeaders,
  isConsoleNavigation,
} from '../../app/http/console-paths.ts';
import { securityHeaders } from '../../app/http/security-headers.ts';
import { terminalOrigins } from '../terminal-origins.ts';

/** The Workers static assets binding (wrangler.toml `[assets] binding`): the console's build. */
export interface AssetsLike {
  /** Answers as the assets would without the Worker (a file, else the SPA's index.html). */
  fetch(request: Request): Promise<Response>;
}

/** The assets binding of the Worker's env, when the deployment has one. */
export function assetsOf(env: Readonly<Record<string, unknown>>): AssetsLike | undefined {
  const assets = env.ASSETS as Partial<AssetsLike> | undefined;
  return typeof assets?.fetch === 'function' ? (assets as AssetsLike) : undefined;
}

/** Whether the route table, not the console, answers `pathname` (the API's prefixes and paths). */
export function isApiPath(pathname: string): boolean {
  if (apiPaths.includes(pathname)) return true;
  return apiPrefixes.some(
    (prefix) => prefix !== assetPrefix.slice(0, -1) && (pathname === prefix || pathname.startsWith(`${prefix}/`)),
  );
}

/**
 * What the console answers in the Worker (wrangler.toml runs the Worker first for every path but
 * /assets/*): a page navigation gets index.html from the assets with the headers Node gives it
 * (`consolePageHeaders`: its CSP computed per request, so `connect-src` names the terminal origins
 * of BATON_TERMINAL_ORIGINS and the sandbox plane, which a static `_headers` file cannot); any
 * other file is the assets' answer as it is. The API's paths (`isApiPath`) are the router's, never this.
 */
export async function serveConsole(request: Request, assets: AssetsLike, config: Config): Promise<Response> {
  const url = new URL(request.url);
  const read = request.method === 'GET' || request.method === 'HEAD';
  if (!read || !isConsoleNavigation(url.pathname)) return assets.fetch(request);
  // The page is the build's index.html whatever the path (the single-page app routes in the browser).
  const page = await assets.fetch(new Request(new URL('/', url), { method: request.method, headers: request.headers }));
  // A revalidated page (304) gets the same headers: the browser keeps those of the newest answer.
  if (page.status !== 200 && page.status !== 304) return page;
  const headers = new Headers(page.headers);
  const origin = new URL(config.http.publicUrl).origin;
  for (const [name, value] of Object.entries({
    ...securityHeaders,
    ...consolePageHeaders(origin, terminalOrigins(config, undefined)),
  }))
    headers.set(name, value);
  return new Response(page.body, { status: page.status, headers });
}
