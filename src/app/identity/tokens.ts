import type { Principal } from '../../domain/access/principal.ts';
import { scopes as allScopes, type Scope } from '../../domain/access/roles.ts';
import { ConflictError, ForbiddenError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import type { ApiToken } from '../../ports/api-tokens.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import { pendingIssuer, type User } from '../../ports/users.ts';
import type { Workspace } from '../../ports/workspaces.ts';
import { auditBy, requireDashboard } from '../access.ts';
import type { AppContext } from '../context.ts';
import { tokenPrefix } from './authenticate.ts';
import { randomSecret, sha256 } from './secrets.ts';

/** Tokens expire after this many days unless asked otherwise; never later than the maximum. */
export const defaultTokenDays = 90;
export const maxTokenDays = 365;

type TokenContext = Pick<
  AppContext,
  'tokens' | 'dashboards' | 'workspaces' | 'audit' | 'unitOfWork' | 'clock' | 'accessEvents'
>;

/** A token as just created: the secret is returned this once and never again. */
export interface CreatedToken {
  readonly token: ApiToken;
  readonly secret: string;
}

/**
 * Creates an API token for the caller. Its scopes cannot exceed the caller's; a token restricted
 * to one dashboard cannot create tokens; a dashboard restriction needs a dashboard the caller can see.
 */
export async function createApiToken(
  ctx: TokenContext,
  principal: Principal,
  input: { name: string; scopes: readonly Scope[]; dashboardId?: string; expiresInDays?: number },
  requestId: string,
): Promise<CreatedToken> {
  if (principal.dashboardId !== undefined)
    throw new ForbiddenError('A token restricted to a dashboard cannot create tokens');
  const beyond = input.scopes.filter((s) => !principal.scopes.includes(s));
  if (beyond.length > 0) throw new ForbiddenError(`You cannot grant scopes you do not have: ${beyond.join(', ')}`);
  let workspaceId: string | null = null;
  if (input.dashboardId !== undefined) {
    const { dashboard } = await requireDashboard(ctx, principal, input.dashboardId, 'dashboard.read');
    workspaceId = dashboard.workspaceId;
  }
  return issueToken(
    ctx,
    principal,
    {
      userId: principal.userId,
      name: input.name,
      scopes: input.scopes,
      dashboardId: input.dashboardId ?? null,
      days: input.expiresInDays ?? defaultTokenDays,
      workspaceId,
    },
    requestId,
  );
}

/** The caller's tokens (never their secrets), newest first. */
export async function listApiTokens(ctx: Pick<AppContext, 'tokens'>, principal: Principal): Promise<ApiToken[]> {
  return ctx.tokens.listOfUser(principal.userId);
}

/**
 * Revokes the token the request is made with, whatever its scopes: signing a CLI out must not need
 * `admin`. A browser session has no token to revoke (it signs out with POST /auth/logout).
 */
export async function revokeCurrentToken(ctx: TokenContext, principal: Principal, requestId: string): Promise<void> {
  if (principal.tokenId === undefined)
    throw new ConflictError('This request is not made with an API token (a browser signs out with POST /auth/logout)');
  await revokeApiToken(ctx, principal, principal.tokenId, requestId);
}

/** Revokes one of the caller's tokens; someone else's token does not exist for them. */
export async function revokeApiToken(
  ctx: TokenContext,
  principal: Principal,
  tokenId: string,
  requestId: string,
): Promise<void> {
  const token = await ctx.tokens.getOfUser(tokenId, principal.userId);
  if (token === undefined) throw new NotFoundError('Token');
  await ctx.unitOfWork.run(async (tx) => {
    await ctx.tokens.revoke(token.id, ctx.clock.now(), tx);
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'token.revoked',
        targetType: 'api_token',
        targetId: token.id,
        details: { name: token.name },
      }),
      tx,
    );
    await ctx.accessEvents.publish({ kind: 'token', tokenId: token.id }, tx);
  });
}

/**
 * First set-up and scripts: finds or creates the user with this e-mail (created users are claimed
 * by the first OIDC sign-in with that verified e-mail), optionally finds or creates a workspace of
 * theirs by name, and issues a token with every scope.
 */
export async function bootstrapToken(
  ctx: TokenContext & Pick<AppContext, 'users'>,
  input: { email: string; workspaceName?: string; expiresInDays?: number },
): Promise<CreatedToken & { user: User; workspace: Workspace | undefined }> {
  const email = input.email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(email))
    throw new InvalidInputError([{ location: 'argument', path: 'email', message: 'expected an e-mail address' }]);
  const user =
    (await ctx.users.findByEmail(email)) ??
    (await ctx.users.upsertIdentity({ issuer: pendingIssuer, subject: email, email, name: null }));
  let workspace: Workspace | undefined;
  if (input.workspaceName !== undefined) {
    workspace = await ctx.workspaces.findByNameForUser(input.workspaceName, user.id);
    if (workspace === undefined) {
      workspace = await ctx.workspaces.create({ name: input.workspaceName, createdBy: user.id });
      await ctx.audit.record(
        auditBy(null, null, {
          action: 'workspace.created',
          actorUserId: user.id,
          workspaceId: workspace.id,
          targetType: 'workspace',
          targetId: workspace.id,
          details: { name: workspace.name, via: 'cli' },
        }),
      );
    }
  }
  const principal: Principal = { userId: user.id, via: 'session', scopes: allScopes };
  const created = await issueToken(
    ctx,
    principal,
    {
      userId: user.id,
      name: 'bootstrap (CLI)',
      scopes: allScopes,
      dashboardId: null,
      days: input.expiresInDays ?? defaultTokenDays,
      workspaceId: workspace?.id ?? null,
    },
    null,
  );
  return { ...created, user, workspace };
}

/**
 * Issues a token (no checks: callers decide who may have it) and records it, in `tx` when given
 * (device sign-in marks its authorization issued in the same transaction), else in its own.
 */
export async function issueToken(
  ctx: TokenContext,
  principal: Principal,
  input: {
    userId: string;
    name: string;
    scopes: readonly Scope[];
    dashboardId: string | null;
    days: number;
    workspaceId: string | null;
  },
  requestId: string | null,
  tx?: Transaction,
): Promise<CreatedToken> {
  const secret = `${tokenPrefix}${randomSecret(32)}`;
  const expiresAt = new Date(ctx.clock.now().getTime() + Math.min(input.days, maxTokenDays) * 86_400_000);
  const scopes = allScopes.filter((s) => input.scopes.includes(s));
  const create = async (tx: Transaction) => {
    const token = await ctx.tokens.create(
      {
        userId: input.userId,
        name: input.name,
        prefix: secret.slice(0, tokenPrefix.length + 6),
        secretHash: await sha256(secret),
        scopes,
        dashboardId: input.dashboardId,
        expiresAt,
      },
      tx,
    );
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'token.created',
        workspaceId: input.workspaceId,
        targetType: 'api_token',
        targetId: token.id,
        details: { name: input.name, scopes, dashboardId: input.dashboardId, expiresAt: expiresAt.toISOString() },
      }),
      tx,
    );
    return token;
  };
  const token = tx === undefined ? await ctx.unitOfWork.run(create) : await create(tx);
  return { token, secret };
}
