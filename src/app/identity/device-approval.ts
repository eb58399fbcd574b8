import type { Principal } from '../../domain/access/principal.ts';
import { scopes as allScopes, type Scope } from '../../domain/access/roles.ts';
import { ConflictError, DomainError, ForbiddenError, InvalidInputError } from '../../domain/errors.ts';
import type { DeviceAuthorization } from '../../ports/device-authorizations.ts';
import { auditBy } from '../access.ts';
import type { AppContext } from '../context.ts';
import { displayUserCode, normalizeUserCode } from './device-codes.ts';
import { sha256 } from './secrets.ts';

/**
 * The person's side of device sign-in: look a user code up, then approve (optionally with fewer
 * scopes, never more than their own) or deny it. The code itself is the capability: any signed-in
 * person who has it may decide, as in every device grant; guessing is limited per address at the edge.
 */

/** A code that is unknown, malformed or expired: nothing to decide (404). */
export class DeviceCodeNotFoundError extends DomainError {
  constructor(reason: 'unknown' | 'expired') {
    super(
      'not_found',
      reason === 'expired'
        ? 'This code has expired: start the sign-in again from your terminal'
        : 'No sign-in is waiting for this code: check it, or start again from your terminal',
      { details: { reason } },
    );
  }
}

/** What the approver sees: who asks, for what, until when. */
export interface DeviceRequestView {
  readonly userCode: string;
  readonly clientId: string;
  readonly clientName: string | null;
  readonly scopes: readonly Scope[];
  readonly status: DeviceAuthorization['status'];
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

type ApprovalContext = Pick<AppContext, 'deviceAuthorizations' | 'audit' | 'unitOfWork' | 'clock'>;

/** The sign-in waiting for this code, or a 404 (unknown, malformed, expired) or 409 (already decided). */
export async function viewDeviceRequest(
  ctx: ApprovalContext,
  principal: Principal,
  userCode: string,
): Promise<DeviceRequestView> {
  const { authorization, code } = await pendingByCode(ctx, principal, userCode);
  return view(authorization, code);
}

/** Approves the sign-in: the device's next poll receives a token of the approver's with these scopes. */
export async function approveDeviceRequest(
  ctx: ApprovalContext,
  principal: Principal,
  userCode: string,
  input: { scopes?: readonly Scope[] | undefined },
  requestId: string,
): Promise<DeviceRequestView> {
  const { authorization, code } = await pendingByCode(ctx, principal, userCode);
  const scopes = input.scopes === undefined ? authorization.scopes : allScopes.filter((s) => input.scopes?.includes(s));
  const unasked = scopes.filter((s) => !authorization.scopes.includes(s));
  if (unasked.length > 0)
    throw new InvalidInputError([
      { location: 'body', path: 'scopes', message: `the device did not ask for: ${unasked.join(', ')}` },
    ]);
  if (scopes.length === 0)
    throw new InvalidInputError([{ location: 'body', path: 'scopes', message: 'must grant at least one scope' }]);
  const beyond = scopes.filter((s) => !principal.scopes.includes(s));
  if (beyond.length > 0)
    throw new ForbiddenError(`You cannot grant scopes you do not have: ${beyond.join(', ')}`, {
      details: { scopes: beyond },
    });
  return decide(ctx, principal, authorization, code, { status: 'approved', scopes }, requestId);
}

/** Denies the sign-in: the device's next poll gets `access_denied`. */
export async function denyDeviceRequest(
  ctx: ApprovalContext,
  principal: Principal,
  userCode: string,
  requestId: string,
): Promise<DeviceRequestView> {
  const { authorization, code } = await pendingByCode(ctx, principal, userCode);
  return decide(ctx, principal, authorization, code, { status: 'denied', scopes: null }, requestId);
}

async function decide(
  ctx: ApprovalContext,
  principal: Principal,
  authorization: DeviceAuthorization,
  code: string,
  decision: { status: 'approved' | 'denied'; scopes: readonly Scope[] | null },
  requestId: string,
): Promise<DeviceRequestView> {
  const at = ctx.clock.now();
  await ctx.unitOfWork.run(async (tx) => {
    // Compare-and-set: a decision made meanwhile (another tab, another person with the code) wins.
    if (!(await ctx.deviceAuthorizations.decide(authorization.id, { ...decision, userId: principal.userId, at }, tx)))
      throw alreadyDecided();
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: decision.status === 'approved' ? 'device.approved' : 'device.denied',
        targetType: 'device_authorization',
        targetId: authorization.id,
        details: {
          clientId: authorization.clientId,
          clientName: authorization.clientName,
          scopes: decision.scopes ?? authorization.scopes,
        },
      }),
      tx,
    );
  });
  return { ...view(authorization, code), status: decision.status, scopes: decision.scopes ?? authorization.scopes };
}

async function pendingByCode(
  ctx: ApprovalContext,
  principal: Principal,
  typed: string,
): Promise<{ authorization: DeviceAuthorization; code: string }> {
  // A token bound to one dashboard (a sandbox's) must not mint tokens for its user.
  if (principal.dashboardId !== undefined)
    throw new ForbiddenError('A token restricted to a dashboard cannot approve device sign-ins');
  const code = normalizeUserCode(typed);
  if (code === undefined) throw new DeviceCodeNotFoundError('unknown');
  const authorization = await ctx.deviceAuthorizations.findByUserCode(await sha256(code));
  if (authorization === undefined) throw new DeviceCodeNotFoundError('unknown');
  if (authorization.status !== 'pending') throw alreadyDecided(authorization.status);
  if (authorization.expiresAt <= ctx.clock.now()) throw new DeviceCodeNotFoundError('expired');
  return { authorization, code };
}

function alreadyDecided(status?: DeviceAuthorization['status']): ConflictError {
  const word = status === 'denied' ? 'denied' : status === 'pending' || status === undefined ? 'decided' : 'approved';
  return new ConflictError(
    `This code was already ${word}: start the sign-in again from your terminal if you need another`,
    { details: { state: status ?? 'decided' } },
  );
}

function view(authorization: DeviceAuthorization, code: string): DeviceRequestView {
  return {
    userCode: displayUserCode(code),
    clientId: authorization.clientId,
    clientName: authorization.clientName,
    scopes: authorization.scopes,
    status: authorization.status,
    createdAt: authorization.createdAt,
    expiresAt: authorization.expiresAt,
  };
}
