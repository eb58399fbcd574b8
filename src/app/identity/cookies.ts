/** Base names of the cookies Baton sets (see `cookieNames` for the names actually used). */
export const sessionCookie = 'baton_session';
export const loginCookie = 'baton_login';

/** The cookie names and attributes for one public URL. */
export interface CookieSettings {
  /** The browser session's cookie. */
  readonly session: string;
  /** The login state (OIDC `state`) between `/auth/login` and `/auth/callback`. */
  readonly login: string;
  /** Whether cookies carry `Secure` (an https public URL). */
  readonly secure: boolean;
}

/**
 * Over https the cookies are `__Host-` prefixed: browsers then accept them only with `Secure`,
 * `Path=/` and no `Domain`, so a sibling subdomain or a plain-http page cannot plant or shadow
 * them. Over plain http (development) the prefix is impossible (browsers refuse `Secure` cookies
 * on http origins other than localhost), so the base names are used. Only the name of the current
 * mode is read: an unprefixed cookie is ignored on an https deployment.
 */
export function cookieNames(publicUrl: string): CookieSettings {
  const secure = publicUrl.startsWith('https:');
  return secure
    ? { session: `__Host-${sessionCookie}`, login: `__Host-${loginCookie}`, secure }
    : { session: sessionCookie, login: loginCookie, secure };
}

/** Reads one cookie from a Cookie header; undefined when absent or malformed. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{1,256}$/.test(value) ? value : undefined;
  }
  return undefined;
}

/** Options of a Set-Cookie header. */
export interface CookieOptions {
  readonly path: string;
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge: number;
  readonly secure: boolean;
}

/** An HttpOnly, SameSite=Lax Set-Cookie header value. A `__Host-` cookie must be Secure with Path=/. */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  if (name.startsWith('__Host-') && (!options.secure || options.path !== '/'))
    throw new Error(`${name} needs Secure and Path=/ (browsers drop it otherwise)`);
  return (
    `${name}=${value}; Path=${options.path}; Max-Age=${options.maxAge}` +
    `; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`
  );
}
