import { DomainError, InvalidInputError, LoginFailedError } from '../../domain/errors.ts';
import type { User } from '../../ports/users.ts';
import { auditBy } from '../access.ts';
import type { AppContext } from '../context.ts';
import { sessionUserAgent } from './browser-sessions.ts';
import { constantTimeEqual, randomSecret, sha256 } from './secrets.ts';

/** How long a started login may take before its callback is refused. */
export const loginTimeoutSeconds = 600;

type LoginContext = Pick<
  AppContext,
  'identityProvider' | 'loginAttempts' | 'users' | 'sessions' | 'audit' | 'unitOfWork' | 'clock' | 'settings'
>;

/** The redirect that starts a login, and the state the browser must bring back. */
export interface StartedLogin {
  readonly redirectTo: string;
  readonly state: string;
}

/**
 * Starts an authorization-code login with PKCE, state and nonce. `returnTo` must be a path on our
 * own origin (anything else is refused: no open redirects).
 */
export async function startLogin(ctx: LoginContext, input: { returnTo?: string }): Promise<StartedLogin> {
  const idp = requireProvider(ctx);
  const returnTo = safeReturnTo(input.returnTo, ctx.settings.publicUrl);
  const state = randomSecret();
  const nonce = randomSecret();
  const codeVerifier = randomSecret(48);
  await ctx.loginAttempts.create(await sha256(state), {
    codeVerifier,
    nonce,
    returnTo,
    expiresAt: new Date(ctx.clock.now().getTime() + loginTimeoutSeconds * 1000),
  });
  const url = await idp.authorizationUrl({ state, nonce, codeVerifier }, callbackUrl(ctx.settings.publicUrl));
  return { redirectTo: url.toString(), state };
}

/** A finished login: the new session's secret (for the cookie) and where to send the browser. */
export interface FinishedLogin {
  readonly sessionSecret: string;
  readonly returnTo: string;
  readonly user: User;
}

/**
 * Finishes a login at the callback: the state must match the one this browser started (cookie)
 * and a not-yet-used attempt; the code is exchanged and the ID token verified by the provider
 * adapter. Creates or refreshes the user, rotates the session, and records the login.
 */
export async function finishLogin(
  ctx: LoginContext,
  input: {
    query: Readonly<Record<string, string>>;
    browserState: string | undefined;
    previousSessionSecret: string | undefined;
    requestId: string;
    userAgent?: string;
  },
): Promise<FinishedLogin> {
  const idp = requireProvider(ctx);
  const state = input.query.state;
  if (state === undefined || input.browserState === undefined || !constantTimeEqual(state, input.browserState)) {
    throw new LoginFailedError('The login state does not match this browser; start the login again');
  }
  const now = ctx.clock.now();
  const attempt = await ctx.loginAttempts.consume(await sha256(state), now);
  if (attempt === undefined)
    throw new LoginFailedError('This login was already finished or has expired; start the login again');
  if (input.query.error !== undefined)
    throw new LoginFailedError(`The identity provider refused the login: ${input.query.error}`);

  const url = new URL(callbackUrl(ctx.settings.publicUrl));
  for (const [key, value] of Object.entries(input.query)) url.searchParams.set(key, value);
  const identity = await idp.finish(url, { state, nonce: attempt.nonce, codeVerifier: attempt.codeVerifier });

  const sessionSecret = randomSecret();
  const user = await ctx.unitOfWork.run(async (tx) => {
    const profile = { issuer: identity.issuer, subject: identity.subject, email: identity.email, name: identity.name };
    const known = await ctx.users.findByIdentity(identity.issuer, identity.subject, tx);
    if (known === undefined && identity.email !== null && identity.emailVerified) {
      // Someone added this e-mail before its owner first signed in (invitation or bootstrap CLI).
      const pending = await ctx.users.findPendingByEmail(identity.email, tx);
      if (pending !== undefined) await ctx.users.claim(pending.id, profile, tx);
    }
    const user = await ctx.users.upsertIdentity(profile, tx);
    // Rotation: a session this browser already had ends; the login gets a fresh id.
    if (input.previousSessionSecret !== undefined) {
      const previous = await ctx.sessions.findBySecretHash(await sha256(input.previousSessionSecret));
      if (previous !== undefined) await ctx.sessions.revoke(previous.id, now, tx);
    }
    await ctx.sessions.create(
      {
        secretHash: await sha256(sessionSecret),
        userId: user.id,
        idleExpiresAt: new Date(now.getTime() + ctx.settings.sessionIdleMinutes * 60_000),
        absoluteExpiresAt: new Date(now.getTime() + ctx.settings.sessionMaxDays * 86_400_000),
        userAgent: sessionUserAgent(input.userAgent),
      },
      tx,
    );
    await ctx.audit.record(
      auditBy(null, input.requestId, {
        action: 'auth.login',
        actorUserId: user.id,
        targetType: 'user',
        targetId: user.id,
        details: { issuer: identity.issuer },
      }),
      tx,
    );
    return user;
  });
  // Checked again: an attempt stored by an older version may hold a target that is no longer accepted.
  return { sessionSecret, returnTo: safeReturnToOrRoot(attempt.returnTo, ctx.settings.publicUrl), user };
}

/** Ends a browser session and records it. */
export async function logout(
  ctx: Pick<AppContext, 'sessions' | 'audit' | 'unitOfWork' | 'clock' | 'accessEvents'>,
  input: { sessionId: string; userId: string; requestId: string },
): Promise<void> {
  await ctx.unitOfWork.run(async (tx) => {
    await ctx.sessions.revoke(input.sessionId, ctx.clock.now(), tx);
    await ctx.audit.record(
      auditBy(null, input.requestId, {
        action: 'auth.logout',
        actorUserId: input.userId,
        targetType: 'user',
        targetId: input.userId,
      }),
      tx,
    );
    await ctx.accessEvents.publish({ kind: 'session', sessionId: input.sessionId }, tx);
  });
}

/** The redirect URI registered at the provider. */
export function callbackUrl(publicUrl: string): string {
  return `${publicUrl}/auth/callback`;
}

/**
 * Accepts only a path on our own origin: `/dashboards/x?tab=1` is fine; `//evil.com`,
 * `https://evil.com`, `/\evil.com`, `/.//evil.com` and `javascript:` are refused. Defaults to `/`.
 *
 * The check applies to what is returned, after URL normalisation (dot segments resolved, tabs and
 * newlines dropped, backslashes read as slashes), since that is what a browser follows: the answer
 * must itself resolve, against our public URL, to the same URL on our origin, and must not start
 * with two slashes or a slash and a backslash (a network-path reference).
 */
export function safeReturnTo(returnTo: string | undefined, publicUrl: string): string {
  if (returnTo === undefined || returnTo === '') return '/';
  const refuse = () =>
    new InvalidInputError([
      { location: 'query', path: 'returnTo', message: 'must be a path on this site, such as /dashboards' },
    ]);
  if (!returnTo.startsWith('/') || returnTo.startsWith('//') || returnTo.includes('\\') || hasControl(returnTo))
    throw refuse();
  const base = new URL(publicUrl);
  let resolved: URL;
  try {
    resolved = new URL(returnTo, base);
  } catch {
    throw refuse();
  }
  if (resolved.origin !== base.origin) throw refuse();
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  if (!isLocalPath(path, base)) throw refuse();
  return path;
}

/** A path a browser resolves on `base`'s origin to exactly itself: no `//host`, no `/\host`, no scheme. */
function isLocalPath(path: string, base: URL): boolean {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\') || hasControl(path)) return false;
  try {
    const again = new URL(path, base);
    return again.origin === base.origin && `${again.pathname}${again.search}${again.hash}` === path;
  } catch {
    return false;
  }
}

/** Control characters (tabs, newlines, DEL): URL parsing drops or keeps them unpredictably. */
function hasControl(text: string): boolean {
  return [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
}

function safeReturnToOrRoot(returnTo: string, publicUrl: string): string {
  try {
    return safeReturnTo(returnTo, publicUrl);
  } catch {
    return '/';
  }
}

function requireProvider(ctx: Pick<AppContext, 'identityProvider'>) {
  if (ctx.identityProvider === undefined)
    throw new DomainError(
      'login_unavailable',
      'Login is not configured on this server (set OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET)',
    );
  return ctx.identityProvider;
}
