/**
 * Which requests the web console answers, on both runtimes (fastify on Node, Workers static assets).
 * Everything under these prefixes belongs to the API (an unknown path there stays a JSON 404);
 * any other GET or HEAD is a page navigation answered with the console's index.html.
 */
export const apiPrefixes: readonly string[] = ['/v1', '/auth', '/.well-known', '/assets'];

/** Single API paths outside those prefixes. */
export const apiPaths: readonly string[] = ['/openapi.json', '/healthz', '/readyz', '/metrics'];

/** Where the console's hashed build files are served from. */
export const assetPrefix = '/assets/';

/** A hashed build file name: no directories, no dot files, nothing that could climb out of the folder. */
const assetName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,200}$/;

/**
 * Whether a GET or HEAD for `pathname` gets the console's page. Not for the API, not for
 * something that names a file (`/favicon.ico`, `/robots.txt`): those get a plain 404.
 */
export function isConsoleNavigation(pathname: string): boolean {
  if (apiPaths.includes(pathname)) return false;
  if (apiPrefixes.some((prefix) => pathname === prefix || pathname.startsWith(`${prefix}/`))) return false;
  const last = pathname.slice(pathname.lastIndexOf('/') + 1);
  return !/\.[A-Za-z0-9]{1,8}$/.test(last);
}

/** The file name an `/assets/<name>` request names, or null when it is not one we could have built. */
export function assetFileName(pathname: string): string | null {
  if (!pathname.startsWith(assetPrefix)) return null;
  const name = pathname.slice(assetPrefix.length);
  return assetName.test(name) && !name.includes('..') ? name : null;
}

/** Content types of what Vite emits (anything else is served as bytes). */
export function assetContentType(name: string): string {
  const extension = name.slice(name.lastIndexOf('.') + 1).toLowerCase();
  return contentTypes[extension] ?? 'application/octet-stream';
}

const contentTypes: Readonly<Record<string, string>> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  map: 'application/json; charset=utf-8',
  json: 'application/json; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  wasm: 'application/wasm',
  txt: 'text/plain; charset=utf-8',
};

/** Hashed files never change under their name. */
export const immutableCache = 'public, max-age=31536000, immutable';

/**
 * The console page's Content-Security-Policy: scripts and connections from our origin only (the
 * realtime WebSocket's ws:/wss: origin named, as older browsers do not count it as 'self'; and the
 * terminal origins of the execution plane, `terminalOrigins`), no
 * inline script, no plugins, no <base>, no framing. Styles allow 'unsafe-inline': CodeMirror
 * injects <style> elements and React sets style attributes (layout positions); a style cannot run code.
 */
export function consolePolicy(publicOrigin: string, terminalOrigins: readonly string[] = []): string {
  const origin = new URL(publicOrigin);
  // Terminals attach to the sandbox's own origin (api/sandbox.openapi.yaml), never through Baton.
  const socketOrigin = [`${origin.protocol === 'https:' ? 'wss:' : 'ws:'}//${origin.host}`, ...terminalOrigins].join(
    ' ',
  );
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src 'self' ${socketOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Headers of the console's index.html: always revalidated, so a new build is picked up at once. */
export function consolePageHeaders(
  publicOrigin: string,
  terminalOrigins: readonly string[] = [],
): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-cache',
    'content-security-policy': consolePolicy(publicOrigin, terminalOrigins),
  };
}

/** Why the console cannot be shown (the server still serves the API). */
export type ConsoleUnavailable = { readonly reason: 'building' | 'missing' | 'failed'; readonly detail?: string };

/** The 503 page shown in place of the console while it is not built; it says what to do. */
export function consoleUnavailablePage(state: ConsoleUnavailable): string {
  const what =
    state.reason === 'building'
      ? 'The web console is being built. Reload this page in a few seconds.'
      : state.reason === 'failed'
        ? 'The web console could not be built; the server log says why. Run ' +
          '<code>npm run build:web</code> and reload. The API works meanwhile.'
        : 'The web console is not built. Run <code>npm run build:web</code> (or restart ' +
          'with <code>npm start</code>, which builds it) and reload. The API works meanwhile.';
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Baton: console ` +
    `not built</title></head><body><h1>Baton</h1><p>${what}</p></body></html>\n`
  );
}
