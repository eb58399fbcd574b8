import type { Scope } from '../../domain/access/roles.ts';
import type { AppContext } from '../context.ts';
import {
  deviceClients,
  deviceCodeSeconds,
  deviceGrantType,
  devicePollSeconds,
  newUserCode,
  normalizeUserCode,
  parseDeviceScopes,
  slowDownSeconds,
} from './device-codes.ts';
import { randomSecret, sha256 } from './secrets.ts';
import { defaultTokenDays, issueToken, type CreatedToken } from './tokens.ts';

/**
 * The device side of device sign-in (RFC 8628): asking for codes and polling for the token. Both
 * answer OAuth's error shape (`{ error, error_description }`, RFC 6749 section 5.2), not Baton's,
 * since OAuth clients read that; so failures a device can cause are results here, not exceptions.
 */

/** An OAuth error a device can be answered with. */
export interface OAuthFailure {
  readonly error:
    | 'invalid_request'
    | 'invalid_client'
    | 'invalid_scope'
    | 'invalid_grant'
    | 'unsupported_grant_type'
    | 'authorization_pending'
    | 'slow_down'
    | 'access_denied'
    | 'expired_token';
  readonly error_description: string;
}

/** The device authorization response (RFC 8628 section 3.2). */
export interface DeviceCodeGrant {
  readonly device_code: string;
  readonly user_code: string;
  readonly verification_uri: string;
  readonly verification_uri_complete: string;
  readonly expires_in: number;
  readonly interval: number;
}

/** The access token response (RFC 6749 section 5.1): a Baton API token of the approver's. */
export interface DeviceTokenGrant {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
}

type DeviceContext = Pick<
  AppContext,
  | 'deviceAuthorizations'
  | 'tokens'
  | 'dashboards'
  | 'workspaces'
  | 'audit'
  | 'unitOfWork'
  | 'clock'
  | 'accessEvents'
  | 'settings'
>;

/** The approval page in the console. */
export function verificationUri(publicUrl: string): string {
  return `${publicUrl}/device`;
}

/** Starts a device sign-in: a secret device code for the device, a short user code for the person. */
export async function startDeviceAuthorization(
  ctx: DeviceContext,
  input: { clientId?: string | undefined; scope?: string | undefined; clientName?: string | undefined },
): Promise<{ ok: true; grant: DeviceCodeGrant } | { ok: false; failure: OAuthFailure }> {
  if (input.clientId === undefined || input.clientId === '') return fail('invalid_request', 'client_id is required');
  if (!deviceClients.includes(input.clientId))
    return fail('invalid_client', `client_id must be one of: ${deviceClients.join(', ')}`);
  const scopes = parseDeviceScopes(input.scope);
  if (scopes === undefined)
    return fail('invalid_scope', 'scope must be space-separated Baton scopes: read, write, control, admin');
  const clientName = cleanName(input.clientName);
  const now = ctx.clock.now();
  const deviceCode = randomSecret(32);
  for (;;) {
    const userCode = newUserCode();
    const created = await ctx.deviceAuthorizations.create({
      deviceCodeHash: await sha256(deviceCode),
      userCodeHash: await sha256(normalizeUserCode(userCode) ?? userCode),
      clientId: input.clientId,
      clientName,
      scopes,
      intervalSeconds: devicePollSeconds,
      createdAt: now,
      expiresAt: new Date(now.getTime() + deviceCodeSeconds * 1000),
    });
    // Undefined only when this user code is taken (kept until retention prunes it): draw another.
    if (created === undefined) continue;
    const uri = verificationUri(ctx.settings.publicUrl);
    return {
      ok: true,
      grant: {
        device_code: deviceCode,
        user_code: userCode,
        verification_uri: uri,
        verification_uri_complete: `${uri}?code=${userCode}`,
        expires_in: deviceCodeSeconds,
        interval: devicePollSeconds,
      },
    };
  }
}

/**
 * A device's poll (RFC 8628 section 3.4): pending, slow down, denied, expired, or the token. The
 * token is issued once: the authorization is marked issued in the token's transaction, and a
 * second poll after that is `invalid_grant`.
 */
export async function pollDeviceAuthorization(
  ctx: DeviceContext,
  input: { grantType?: string | undefined; deviceCode?: string | undefined; clientId?: string | undefined },
  requestId: string,
): Promise<{ ok: true; grant: DeviceTokenGrant } | { ok: false; failure: OAuthFailure }> {
  if (input.grantType === undefined || input.grantType === '') return fail('invalid_request', 'grant_type is required');
  if (input.grantType !== deviceGrantType)
    return fail('unsupported_grant_type', `grant_type must be ${deviceGrantType}`);
  if (input.deviceCode === undefined || input.deviceCode === '')
    return fail('invalid_request', 'device_code is required');
  if (input.clientId === undefined || input.clientId === '') return fail('invalid_request', 'client_id is required');
  if (!deviceClients.includes(input.clientId))
    return fail('invalid_client', `client_id must be one of: ${deviceClients.join(', ')}`);
  const now = ctx.clock.now();
  const polled = await ctx.deviceAuthorizations.recordPoll(await sha256(input.deviceCode), now, slowDownSeconds);
  if (polled === undefined)
    return fail('invalid_grant', 'This device code is not known (it may have expired long ago); start again');
  const { authorization, tooSoon } = polled;
  if (authorization.clientId !== input.clientId)
    return fail('invalid_grant', 'This device code was issued to another client');
  if (authorization.status === 'issued') return fail('invalid_grant', 'This device code was already used; start again');
  if (authorization.status === 'denied') return fail('access_denied', 'The sign-in was denied');
  if (authorization.expiresAt <= now)
    return fail('expired_token', 'The code expired before it was approved; start again');
  if (authorization.status === 'pending') {
    if (tooSoon)
      return fail('slow_down', `Polling too fast: wait ${authorization.intervalSeconds} seconds between requests`);
    return fail('authorization_pending', 'Waiting for a person to approve the code');
  }
  const userId = authorization.decidedBy;
  const scopes: readonly Scope[] = authorization.approvedScopes ?? [];
  if (userId === null) throw new Error(`device authorization ${authorization.id} is approved by no one`);
  const issued: CreatedToken | undefined = await ctx.unitOfWork
    .run(async (tx) => {
      // The approver's own act, approved earlier: the audit entry names them.
      const principal = { userId, via: 'session' as const, scopes };
      const name = authorization.clientName === null ? 'CLI' : `CLI on ${authorization.clientName}`;
      const created = await issueToken(
        ctx,
        principal,
        { userId, name, scopes, dashboardId: null, days: defaultTokenDays, workspaceId: null },
        requestId,
        tx,
      );
      // A concurrent poll that got here first wins; this transaction and its token roll back.
      if (!(await ctx.deviceAuthorizations.markIssued(authorization.id, created.token.id, tx)))
        throw new AlreadyIssued();
      return created;
    })
    .catch((error: unknown) => {
      if (error instanceof AlreadyIssued) return undefined;
      throw error;
    });
  if (issued === undefined) return fail('invalid_grant', 'This device code was already used; start again');
  const expiresIn =
    issued.token.expiresAt === null
      ? defaultTokenDays * 86_400
      : Math.round((issued.token.expiresAt.getTime() - now.getTime()) / 1000);
  return {
    ok: true,
    grant: {
      access_token: issued.secret,
      token_type: 'Bearer',
      expires_in: expiresIn,
      scope: issued.token.scopes.join(' '),
    },
  };
}

/** Thrown inside the transaction to roll the token back when another poll was first. */
class AlreadyIssued extends Error {}

function fail(error: OAuthFailure['error'], description: string): { ok: false; failure: OAuthFailure } {
  return { ok: false, failure: { error, error_description: description } };
}

/** A device's name as shown to the approver: printable, one line, at most 100 characters; null when empty. */
function cleanName(name: string | undefined): string | null {
  if (name === undefined) return null;
  // Control characters are exactly what is removed.
  const clean = name
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 100);
  return clean === '' ? null : clean;
}
