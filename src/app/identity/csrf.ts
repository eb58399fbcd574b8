import type { RequestHeaders } from '../http/headers.ts';

/**
 * CSRF protection for cookie-authenticated writes: the browser must say where the request comes
 * from (Origin, or Referer when Origin is absent), and it must be our own public origin. Browsers
 * always send Origin on cross-site POST/PUT/PATCH/DELETE, so a forged form or fetch fails here.
 */
export function isSameOrigin(headers: RequestHeaders, publicOrigin: string): boolean {
  const origin = headers.origin ?? originOf(headers.referer);
  return origin !== undefined && origin === publicOrigin;
}

function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
