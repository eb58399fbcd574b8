import type { Principal } from '../../domain/access/principal.ts';
import { DomainError, ForbiddenError, InvalidInputError } from '../../domain/errors.ts';
import { IntegrationError } from '../../domain/integrations/errors.ts';
import { auditBy, requireWorkspace } from '../access.ts';
import { encodeBase64Url } from '../../domain/base64.ts';
import { randomSecret, sha256 } from '../identity/secrets.ts';
import { purposes, type GoogleClients, type GoogleSecret, type IntegrationDeps } from './integration-deps.ts';
import { viewOf, type IntegrationView } from './integrations.ts';

/** How long the admin has to consent at Google before the pending connection is void. */
const consentWindowMs = 10 * 60_000;

/** Where Google sends the admin back (register it as an authorized redirect URI of the OAuth client). */
export const googleRedirectPath = '/v1/integrations/google-drive/callback';

function configured(deps: IntegrationDeps): GoogleClients {
  if (deps.google === undefined)
    throw new DomainError(
      'not_configured',
      'Google Drive is not configured on this Baton: set BATON_GOOGLE_CLIENT_ID and BATON_GOOGLE_CLIENT_SECRET',
    );
  return deps.google;
}

/**
 * Starts connecting Google Drive: a pending integration holding a fresh PKCE verifier (sealed), and
 * the URL of Google's consent page for the admin to open. The connection completes when Google
 * redirects the same admin back to `googleRedirectPath` with the `state` made here.
 */
export async function startGoogleConnect(
  deps: IntegrationDeps,
  principal: Principal,
  workspaceId: string,
): Promise<{ integration: IntegrationView; authorizationUrl: string }> {
  await requireWorkspace(deps.ctx, principal, workspaceId, 'workspace.manage_integrations');
  const google = configured(deps);
  const verifier = randomSecret(32);
  const state = randomSecret(32);
  const secret: GoogleSecret = { codeVerifier: verifier };
  const integration = await deps.ctx.unitOfWork.run(async (tx) => {
    const secretId = await deps.vault.store(tx, {
      workspaceId,
      purpose: purposes.google,
      value: JSON.stringify(secret),
    });
    const oauthExpiresAt = new Date(deps.ctx.clock.now().getTime() + consentWindowMs);
    return deps.integrations.create(
      {
        workspaceId,
        provider: 'google-drive',
        status: 'pending',
        name: '',
        externalId: null,
        details: {},
        secretId,
        createdBy: principal.userId,
        oauthState: state,
        oauthExpiresAt,
      },
      tx,
    );
  });
  if (integration === undefined) throw new Error('a pending Drive connection collided with another');
  const url = google.oauth.authorizationUrl({
    state,
    codeChallenge: encodeBase64Url(await sha256(verifier)),
    redirectUri: redirectUri(deps),
  });
  return { integration: viewOf(integration), authorizationUrl: url.toString() };
}

/** What Google's redirect brings back. */
export interface GoogleCallback {
  readonly state: string;
  readonly code?: string;
  /** Set instead of `code` when the admin refused (`access_denied`). */
  readonly error?: string;
}

/**
 * Completes a Drive connection: only the admin who started it, once, within ten minutes. The code
 * is exchanged with the PKCE verifier; the refresh and access tokens are sealed in place of it.
 */
export async function completeGoogleConnect(
  deps: IntegrationDeps,
  principal: Principal,
  callback: GoogleCallback,
  requestId: string,
): Promise<IntegrationView> {
  const google = configured(deps);
  const pending = await deps.ctx.unitOfWork.run(async (tx) => {
    const found = await deps.integrations.takePending(callback.state, tx);
    if (found === undefined)
      throw new InvalidInputError([
        { location: 'query', path: 'state', message: 'is unknown or was used already; start connecting again' },
      ]);
    // Rolls the take back: the admin who started it can still finish.
    if (found.createdBy !== principal.userId)
      throw new ForbiddenError('Only the admin who started connecting Google Drive may complete it');
    return found;
  });
  const abandon = async () =>
    deps.ctx.unitOfWork.run(async (tx) => {
      await deps.integrations.delete(pending.id, tx);
      if (pending.secretId !== null) await deps.vault.remove(tx, pending.secretId);
    });
  if (pending.oauthExpiresAt.getTime() < deps.ctx.clock.now().getTime()) {
    await abandon();
    throw new InvalidInputError([
      { location: 'query', path: 'state', message: 'the connection request expired; start connecting again' },
    ]);
  }
  if (callback.code === undefined || pending.secretId === null) {
    await abandon();
    throw new IntegrationError(
      'google',
      'integration_denied',
      `Google Drive was not connected: ${callback.error ?? 'Google sent no authorization code'}`,
    );
  }
  await requireWorkspace(deps.ctx, principal, pending.workspaceId, 'workspace.manage_integrations');
  const secret = JSON.parse(await deps.vault.read(pending.secretId)) as GoogleSecret;
  if (!('codeVerifier' in secret)) throw new Error('a pending Drive connection without its verifier');
  let tokens;
  let account;
  try {
    tokens = await google.oauth.exchangeCode(callback.code, secret.codeVerifier, redirectUri(deps));
    account = await google.drive.about(tokens.accessToken);
  } catch (error) {
    await abandon();
    throw error;
  }
  const sealed: GoogleSecret = {
    refreshToken: tokens.refreshToken,
    accessToken: tokens.accessToken,
    expiresAt: tokens.expiresAt.toISOString(),
  };
  const secretId = pending.secretId;
  const connected = await deps.ctx.unitOfWork.run(async (tx) => {
    await deps.vault.replace(tx, secretId, JSON.stringify(sealed));
    const updated = await deps.integrations.update(
      pending.id,
      {
        status: 'connected',
        name: account.email,
        details: { displayName: account.displayName, scopes: tokens.scopes },
      },
      tx,
    );
    if (updated === undefined)
      throw new InvalidInputError([
        {
          location: 'query',
          path: 'state',
          message: 'the pending connection was removed meanwhile; start connecting again',
        },
      ]);
    await deps.ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'integration.connected',
        workspaceId: pending.workspaceId,
        targetType: 'integration',
        targetId: pending.id,
        details: { provider: 'google-drive', account: account.email },
      }),
      tx,
    );
    return updated;
  });
  return viewOf(connected);
}

function redirectUri(deps: IntegrationDeps): string {
  return `${deps.ctx.settings.publicUrl}${googleRedirectPath}`;
}
