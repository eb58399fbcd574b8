import type { Principal } from '../../domain/access/principal.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { Session } from '../../domain/sessions/session.ts';
import type { SandboxClient } from '../../ports/sandboxes.ts';
import type { SessionStore } from '../../ports/sessions.ts';
import type { TokenSigner } from '../../ports/token-signer.ts';
import { auditBy, hiddenAs, requireDashboard } from '../access.ts';
import type { AppContext } from '../context.ts';
import type { SessionManager } from './session-manager.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'audit'>;

/** What the session use cases need besides the app's stores. */
export interface SessionServices {
  readonly sessionStore: SessionStore;
  readonly manager: SessionManager;
  readonly client: SandboxClient;
  readonly signer: TokenSigner;
}

/** A session as the API shows it. */
export interface SessionView {
  readonly id: string;
  readonly dashboardId: string;
  readonly executionId: string | null;
  readonly purpose: string;
  readonly status: string;
  readonly epoch: number;
  readonly sandboxId: string | null;
  /** Where its sandbox runs, as the provider reported it; null when unknown (not provisioned yet). */
  readonly region: string | null;
  readonly createdAt: string;
  readonly readyAt: string | null;
  readonly lastActiveAt: string;
  readonly endedAt: string | null;
  readonly endedReason: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API view of a session. */
export function sessionView(s: Session): SessionView {
  return {
    id: s.id,
    dashboardId: s.dashboardId,
    executionId: s.executionId,
    purpose: s.purpose,
    status: s.status,
    epoch: s.epoch,
    sandboxId: s.sandboxId,
    region: s.region,
    createdAt: new Date(s.createdAt).toISOString(),
    readyAt: iso(s.readyAt),
    lastActiveAt: new Date(s.lastActiveAt).toISOString(),
    endedAt: iso(s.endedAt),
    endedReason: s.endedReason,
  };
}

/** A dashboard's sessions, newest first, for anyone who can see it. */
export async function listSessions(
  ctx: Ctx,
  services: Pick<SessionServices, 'sessionStore'>,
  principal: Principal,
  dashboardId: string,
): Promise<SessionView[]> {
  await requireDashboard(ctx, principal, dashboardId, 'dashboard.read');
  return (await services.sessionStore.listByDashboard(dashboardId)).map(sessionView);
}

/** Stops a session's sandbox (people who control the dashboard); a step running there moves to a new sandbox. */
export async function deleteSession(
  ctx: Ctx,
  services: Pick<SessionServices, 'sessionStore' | 'manager'>,
  principal: Principal,
  sessionId: string,
  requestId: string,
): Promise<void> {
  const session = await services.sessionStore.get(sessionId);
  if (session === undefined) throw new NotFoundError('Session');
  await hiddenAs('Session', requireDashboard(ctx, principal, session.dashboardId, 'execution.control'));
  await services.manager.stop(session, 'stopped by a person');
  await ctx.audit.record(
    auditBy(principal, requestId, {
      action: 'session.stopped',
      workspaceId: session.workspaceId,
      targetType: 'session',
      targetId: session.id,
      details: { dashboardId: session.dashboardId, epoch: session.epoch },
    }),
  );
}

/** How long a terminal attach token lives. */
export const terminalTokenSeconds = 300;

/**
 * Opens a terminal on the dashboard's terminal session (created on demand): the sandbox's attach URL
 * and a short-lived token signed by Baton (audience the sandbox, subject the user). Baton never
 * carries the terminal traffic.
 */
export async function openTerminal(
  ctx: Ctx,
  services: SessionServices,
  principal: Principal,
  dashboardId: string,
  requestId: string,
) {
  const { dashboard } = await requireDashboard(ctx, principal, dashboardId, 'execution.control');
  const { session, handle } = await services.manager.ensureReady({
    workspaceId: dashboard.workspaceId,
    dashboardId,
    executionId: null,
    purpose: 'terminal',
  });
  const { attachUrl } = await services.client.openTerminal(handle, { userId: principal.userId });
  const { token, expiresAt } = await services.signer.sign(
    {
      subject: principal.userId,
      audience: `sandbox:${handle.sandboxId}`,
      extra: { sid: session.id, dashboard: dashboardId },
    },
    terminalTokenSeconds,
  );
  await ctx.audit.record(
    auditBy(principal, requestId, {
      action: 'terminal.opened',
      workspaceId: dashboard.workspaceId,
      targetType: 'session',
      targetId: session.id,
      details: { dashboardId },
    }),
  );
  return { session: sessionView(session), attachUrl, token, expiresAt: expiresAt.toISOString() };
}
