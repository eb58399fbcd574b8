import { ForbiddenError, NotFoundError } from '../../domain/errors.ts';
import type { AuthSession } from '../../ports/auth-sessions.ts';
import { auditBy } from '../access.ts';
import type { AppContext } from '../context.ts';
import type { Authentication } from './authenticate.ts';

type SessionsContext = Pick<AppContext, 'sessions' | 'audit' | 'unitOfWork' | 'clock' | 'accessEvents'>;

/** A browser session as its owner sees it: never its secret. */
export interface BrowserSessionView {
  readonly id: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
  /** When it ends unless used again: the idle expiry, or the absolute one when that comes first. */
  readonly expiresAt: Date;
  readonly userAgent: string | null;
  /** Whether this is the session the request came with. */
  readonly current: boolean;
}

/** Longest User-Agent kept with a session; enough to tell browsers apart. */
export const maxUserAgentLength = 300;

/** A User-Agent header as stored with a new session: printable, shortened, null when absent. */
export function sessionUserAgent(header: string | undefined): string | null {
  // Headers carry no U+0000 (HTTP refuses it), but other control characters can pass: drop them.
  const text = [...(header ?? '')]
    .filter((c) => c.charCodeAt(0) >= 0x20 && c.charCodeAt(0) !== 0x7f)
    .join('')
    .trim();
  return text === '' ? null : text.slice(0, maxUserAgentLength);
}

/**
 * The caller's browser sessions still in force, most recently used first. Only a person manages
 * their sessions: a token restricted to one dashboard may not.
 */
export async function listMySessions(
  ctx: Pick<AppContext, 'sessions' | 'clock'>,
  auth: Authentication,
): Promise<BrowserSessionView[]> {
  requirePerson(auth);
  const sessions = await ctx.sessions.listActiveOfUser(auth.principal.userId, ctx.clock.now());
  return sessions.map((session) => view(session, auth.sessionId));
}

/**
 * Ends one of the caller's sessions (another person's, or one already ended, is not found). Open
 * realtime connections made with it are re-checked and closed.
 */
export async function endMySession(
  ctx: SessionsContext,
  auth: Authentication,
  sessionId: string,
  requestId: string,
): Promise<{ endedCurrent: boolean }> {
  requirePerson(auth);
  const now = ctx.clock.now();
  const session = await ctx.sessions.getActiveOfUser(sessionId, auth.principal.userId, now);
  if (session === undefined) throw new NotFoundError('Session');
  await ctx.unitOfWork.run(async (tx) => {
    await ctx.sessions.revoke(session.id, now, tx);
    await ctx.audit.record(
      auditBy(auth.principal, requestId, {
        action: 'auth.session_ended',
        targetType: 'user',
        targetId: auth.principal.userId,
        details: { sessionId: session.id, current: session.id === auth.sessionId },
      }),
      tx,
    );
    await ctx.accessEvents.publish({ kind: 'session', sessionId: session.id }, tx);
  });
  return { endedCurrent: session.id === auth.sessionId };
}

/**
 * Ends all the caller's sessions ("sign out everywhere"), or all but the one the request came with
 * (`keepCurrent`). Realtime connections made with any of them are re-checked and closed.
 */
export async function endMySessions(
  ctx: SessionsContext,
  auth: Authentication,
  input: { keepCurrent: boolean },
  requestId: string,
): Promise<{ ended: number; endedCurrent: boolean }> {
  requirePerson(auth);
  const keep = input.keepCurrent ? auth.sessionId : undefined;
  const ended = await ctx.unitOfWork.run(async (tx) => {
    const ids = await ctx.sessions.revokeAllOfUser(
      auth.principal.userId,
      ctx.clock.now(),
      tx,
      keep === undefined ? {} : { except: keep },
    );
    await ctx.audit.record(
      auditBy(auth.principal, requestId, {
        action: 'auth.sessions_ended',
        targetType: 'user',
        targetId: auth.principal.userId,
        details: { count: ids.length, keptCurrent: keep !== undefined },
      }),
      tx,
    );
    for (const id of ids) await ctx.accessEvents.publish({ kind: 'session', sessionId: id }, tx);
    return ids;
  });
  return { ended: ended.length, endedCurrent: auth.sessionId !== undefined && ended.includes(auth.sessionId) };
}

function requirePerson(auth: Authentication): void {
  if (auth.principal.dashboardId !== undefined)
    throw new ForbiddenError('A token restricted to a dashboard cannot manage sign-in sessions');
}

function view(session: AuthSession, currentId: string | undefined): BrowserSessionView {
  const expiresAt =
    session.idleExpiresAt < session.absoluteExpiresAt ? session.idleExpiresAt : session.absoluteExpiresAt;
  return {
    id: session.id,
    createdAt: session.createdAt,
    lastSeenAt: session.lastSeenAt,
    expiresAt,
    userAgent: session.userAgent,
    current: session.id === currentId,
  };
}
