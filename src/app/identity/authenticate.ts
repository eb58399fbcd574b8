import type { Principal } from '../../domain/access/principal.ts';
import { sessionPrincipal } from '../../domain/access/principal.ts';
import { UnauthenticatedError } from '../../domain/errors.ts';
import type { AppContext } from '../context.ts';
import type { RequestHeaders } from '../http/headers.ts';
import { cookieNames, readCookie } from './cookies.ts';
import { sha256 } from './secrets.ts';

/** Every API token starts with this, so leaked tokens are recognisable (and scannable). */
export const tokenPrefix = 'baton_';
const tokenShape = /^baton_[A-Za-z0-9_-]{43}$/;

/** A verified caller: who, and through which browser session when it was a cookie. */
export interface Authentication {
  readonly principal: Principal;
  /** The browser session, when authenticated by cookie. */
  readonly sessionId?: string;
}

/** Only record activity this often, so reads do not each cost a write. */
const touchEveryMs = 60_000;

/**
 * Resolves the caller of a request: `Authorization: Bearer <token>` first, else the session cookie.
 * Returns null for an anonymous request. A credential that is present but malformed, unknown,
 * revoked or expired is an error (401), never silently anonymous.
 */
export async function authenticate(
  ctx: Pick<AppContext, 'tokens' | 'sessions' | 'clock' | 'settings'>,
  headers: RequestHeaders,
): Promise<Authentication | null> {
  const authorization = headers.authorization;
  if (authorization !== undefined) return { principal: await fromToken(ctx, authorization) };
  const secret = readCookie(headers.cookie, cookieNames(ctx.settings.publicUrl).session);
  if (secret === undefined) return null;
  return fromSession(ctx, secret);
}

/**
 * The API token in an Authorization header: the one place the header is read. The scheme is
 * case-insensitive (`Bearer`, `bearer`, `BEARER`) and separated from the token by spaces or tabs,
 * as HTTP allows; whatever the spelling, the result is the token itself (so everything keyed by
 * the token, like its rate limit, sees one token). Anything else is refused, never guessed at.
 */
export function bearerToken(authorization: string): string {
  const match = /^[ \t]*bearer[ \t]+([^ \t]+)[ \t]*$/i.exec(authorization);
  if (match === null) throw new UnauthenticatedError('The Authorization header must be "Bearer <token>"');
  const secret = match[1] ?? '';
  if (!secret.startsWith(tokenPrefix))
    throw new UnauthenticatedError(`This is not a Baton API token (they start with "${tokenPrefix}")`);
  if (!tokenShape.test(secret)) throw new UnauthenticatedError('The API token is malformed');
  return secret;
}

async function fromToken(ctx: Pick<AppContext, 'tokens' | 'clock'>, authorization: string): Promise<Principal> {
  const secret = bearerToken(authorization);
  const token = await ctx.tokens.findBySecretHash(await sha256(secret));
  if (token === undefined) throw new UnauthenticatedError('The API token is not valid');
  const now = ctx.clock.now();
  if (token.revokedAt !== null) throw new UnauthenticatedError('The API token has been revoked');
  if (token.expiresAt !== null && token.expiresAt <= now) throw new UnauthenticatedError('The API token has expired');
  await ctx.tokens.markUsed(token.id, now);
  return {
    userId: token.userId,
    via: 'token',
    tokenId: token.id,
    scopes: token.scopes,
    ...(token.dashboardId === null ? {} : { dashboardId: token.dashboardId }),
  };
}

async function fromSession(
  ctx: Pick<AppContext, 'sessions' | 'clock' | 'settings'>,
  secret: string,
): Promise<Authentication> {
  const session = await ctx.sessions.findBySecretHash(await sha256(secret));
  const now = ctx.clock.now();
  if (
    session === undefined ||
    session.revokedAt !== null ||
    session.idleExpiresAt <= now ||
    session.absoluteExpiresAt <= now
  ) {
    throw new UnauthenticatedError('Your session has ended; sign in again');
  }
  if (now.getTime() - session.lastSeenAt.getTime() > touchEveryMs) {
    const idle = new Date(
      Math.min(now.getTime() + ctx.settings.sessionIdleMinutes * 60_000, session.absoluteExpiresAt.getTime()),
    );
    await ctx.sessions.touch(session.id, now, idle);
  }
  return { principal: sessionPrincipal(session.userId), sessionId: session.id };
}
