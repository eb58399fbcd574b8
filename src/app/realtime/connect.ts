import { authorize } from '../../domain/access/policy.ts';
import type { Principal } from '../../domain/access/principal.ts';
import { DomainError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../../domain/errors.ts';
import { requireDashboard } from '../access.ts';
import type { AppContext } from '../context.ts';
import type { RequestHeaders } from '../http/headers.ts';
import { authenticate } from '../identity/authenticate.ts';
import { parseDocumentName } from './document-name.ts';

/** What a realtime connection presents: the provider's token (an API token, or empty) and the handshake's headers. */
export interface RealtimeCredentials {
  readonly token: string;
  readonly headers: RequestHeaders;
}

/** An admitted connection: who, and whether it may write. */
export interface RealtimeAccess {
  readonly principal: Principal;
  readonly sessionId: string | undefined;
  readonly readOnly: boolean;
  readonly user: { readonly name: string | null; readonly email: string | null };
}

type Ctx = Pick<AppContext, 'tokens' | 'sessions' | 'clock' | 'settings' | 'workspaces' | 'dashboards' | 'users'>;

/**
 * Decides whether a WebSocket may open a dashboard, and how: the provider's token when it sent one
 * (an API token), else the session cookie of the handshake, which must come from our own origin
 * (a cross-site page cannot ride on the cookie). Viewers, read-only tokens and archived dashboards
 * get read-only connections; anyone else who cannot read the dashboard is refused. `documentName`
 * is the dashboard id or its state document's name (`<id>/state`): the same members are admitted
 * to both, and the state document is read-only for everyone (only the server writes it), so a
 * re-check never finds it writable again. Also used to check open connections again when access changes.
 */
export async function admitRealtime(
  ctx: Ctx,
  credentials: RealtimeCredentials,
  documentName: string,
): Promise<RealtimeAccess> {
  const token = credentials.token.trim();
  let headers: RequestHeaders;
  if (token !== '') {
    headers = { authorization: `Bearer ${token}` };
  } else {
    const origin = credentials.headers.origin;
    if (origin !== undefined && origin !== new URL(ctx.settings.publicUrl).origin)
      throw new ForbiddenError('Realtime connections with a session cookie must come from Baton itself');
    headers = { ...(credentials.headers.cookie === undefined ? {} : { cookie: credentials.headers.cookie }) };
  }
  const authentication = await authenticate(ctx, headers);
  if (authentication === null) throw new UnauthenticatedError('Sign in, or pass an API token as the provider token');
  const { principal } = authentication;
  const address = parseDocumentName(documentName);
  if (address === undefined) throw new NotFoundError('Dashboard');
  const { dashboardId, part } = address;
  const { dashboard, relations } = await requireDashboard(ctx, principal, dashboardId, 'dashboard.read');
  const canEdit = authorize(principal, 'dashboard.edit', relations).allowed;
  const user = await ctx.users.get(principal.userId);
  return {
    principal,
    sessionId: authentication.sessionId,
    readOnly: part === 'state' || !canEdit || dashboard.archivedAt !== null,
    user: { name: user?.name ?? null, email: user?.email ?? null },
  };
}

/** The codes of `admitRealtime`'s refusals: who is asking, or what they ask for, is not allowed. */
const refusalCodes: ReadonlySet<string> = new Set(['unauthenticated', 'forbidden', 'not_found', 'invalid_input']);

/**
 * True when admission failed because the connection is refused (a decision: close it, tell the
 * client "permission denied"); false for a failure to decide (the database unreachable, a
 * timeout, a bug), after which the client should retry and an open connection is kept.
 */
export function isRealtimeRefusal(error: unknown): error is DomainError {
  return error instanceof DomainError && refusalCodes.has(error.code);
}
