import { IntegrationError, type IntegrationProvider } from '../../domain/integrations/errors.ts';
import type { GitHubApp } from '../../ports/github.ts';
import type { IntegrationKind, IntegrationRecord } from '../../ports/integrations.ts';
import type { GitHubSecret, GoogleSecret, IntegrationDeps } from './integration-deps.ts';

const providerOf = (kind: IntegrationKind): IntegrationProvider => (kind === 'github' ? 'github' : 'google');
const label = (kind: IntegrationKind) => (kind === 'github' ? 'GitHub' : 'Google Drive');

/**
 * The connection a step uses: the one it names (`integration`), else the workspace's only connected
 * one of that kind. Fails with `integration_missing` (none, several, or another workspace's) and
 * `integration_revoked` (the service refused its grant before).
 */
export async function connectionFor(
  deps: Pick<IntegrationDeps, 'integrations'>,
  workspaceId: string,
  kind: IntegrationKind,
  id: string | null,
): Promise<IntegrationRecord> {
  const provider = providerOf(kind);
  if (id !== null) {
    const named = await deps.integrations.get(id);
    if (named?.workspaceId !== workspaceId || named.provider !== kind)
      throw new IntegrationError(
        provider,
        'integration_missing',
        `This workspace has no ${label(kind)} connection ${id}`,
      );
    return usable(named);
  }
  const all = (await deps.integrations.list(workspaceId)).filter((i) => i.provider === kind);
  const candidates = all.filter((i) => i.status === 'connected');
  const revoked = all.find((i) => i.status === 'revoked');
  // A revoked grant says so (rather than "no connection") until an admin connects again.
  if (candidates.length === 0 && revoked !== undefined) return usable(revoked);
  if (candidates.length === 0)
    throw new IntegrationError(
      provider,
      'integration_missing',
      `This workspace has no ${label(kind)} connection; an admin must connect one`,
    );
  if (candidates.length > 1)
    throw new IntegrationError(
      provider,
      'integration_missing',
      `This workspace has ${candidates.length} ${label(kind)} connections; name one with \`integration\` in the step`,
    );
  return usable(candidates[0] as IntegrationRecord);
}

function usable(integration: IntegrationRecord): IntegrationRecord {
  if (integration.status === 'connected' && integration.secretId !== null) return integration;
  const why = typeof integration.details.revokedReason === 'string' ? `: ${integration.details.revokedReason}` : '';
  throw new IntegrationError(
    providerOf(integration.provider),
    'integration_revoked',
    `The ${label(integration.provider)} connection ${integration.name}` +
      ` was revoked${why}; an admin must connect it again`,
  );
}

/** The client of a GitHub connection's App, with its webhook secret. */
export async function gitHubOf(
  deps: Pick<IntegrationDeps, 'vault' | 'githubApp'>,
  integration: IntegrationRecord,
): Promise<{ app: GitHubApp; installationId: number; secret: GitHubSecret }> {
  const secret = JSON.parse(await deps.vault.read(integration.secretId ?? '')) as GitHubSecret;
  const appId = String(integration.details.appId ?? '');
  return {
    app: deps.githubApp({ appId, privateKeyPem: secret.privateKey }),
    installationId: Number(integration.externalId),
    secret,
  };
}

/** Google access tokens are renewed when less than this is left, so no call starts with one about to expire. */
const refreshAheadMs = 5 * 60_000;

/**
 * A working access token of a Drive connection: the stored one while it has more than five minutes
 * left, else a refreshed one (under the connection's row lock, so concurrent callers refresh once).
 * A refused refresh marks the connection revoked and fails with `integration_revoked`.
 */
export async function googleAccessToken(
  deps: IntegrationDeps,
  integration: IntegrationRecord,
  options: { force?: boolean } = {},
): Promise<string> {
  const google = deps.google;
  if (google === undefined)
    throw new IntegrationError(
      'google',
      'integration_unavailable',
      'Google Drive is not configured on this Baton (BATON_GOOGLE_CLIENT_ID)',
    );
  const secretId = integration.secretId ?? '';
  const fresh = (s: GoogleSecret) =>
    'accessToken' in s && Date.parse(s.expiresAt) - deps.ctx.clock.now().getTime() > refreshAheadMs;
  const stored = JSON.parse(await deps.vault.read(secretId)) as GoogleSecret;
  if (!options.force && fresh(stored)) return (stored as { accessToken: string }).accessToken;
  try {
    return await deps.ctx.unitOfWork.run(async (tx) => {
      if ((await deps.integrations.lock(integration.id, tx)) === undefined)
        throw new IntegrationError('google', 'integration_missing', 'The Google Drive connection was removed');
      const current = JSON.parse(await deps.vault.read(secretId)) as GoogleSecret;
      // Another caller refreshed while this one waited for the lock.
      if (
        fresh(current) &&
        (!options.force ||
          (current as { accessToken: string }).accessToken !== (stored as { accessToken?: string }).accessToken)
      )
        return (current as { accessToken: string }).accessToken;
      if (!('refreshToken' in current))
        throw new IntegrationError('google', 'integration_revoked', 'The Google Drive connection was never completed');
      const tokens = await google.oauth.refresh(current.refreshToken);
      const next: GoogleSecret = {
        refreshToken: tokens.refreshToken,
        accessToken: tokens.accessToken,
        expiresAt: tokens.expiresAt.toISOString(),
      };
      await deps.vault.replace(tx, secretId, JSON.stringify(next));
      return tokens.accessToken;
    });
  } catch (error) {
    if (error instanceof IntegrationError && error.code === 'integration_revoked')
      await markRevoked(deps, integration, error.message);
    throw error;
  }
}

/** Records that the service refused a connection's grant: the list shows it, and steps fail fast. */
export async function markRevoked(
  deps: Pick<IntegrationDeps, 'integrations'>,
  integration: IntegrationRecord,
  reason: string,
): Promise<void> {
  await deps.integrations.update(integration.id, {
    status: 'revoked',
    details: { ...integration.details, revokedReason: reason },
  });
}

/**
 * Where a GitHub App's webhook delivery for an installation goes: the workspace that connected it,
 * and the webhook secret to check the signature with. Undefined when no workspace connected it.
 */
export async function githubHookTarget(
  deps: Pick<IntegrationDeps, 'integrations' | 'vault'>,
  installationId: string,
): Promise<{ workspaceId: string; webhookSecret: string } | undefined> {
  const integration = await deps.integrations.byInstallation(installationId);
  if (integration?.status !== 'connected' || integration.secretId === null) return undefined;
  const secret = JSON.parse(await deps.vault.read(integration.secretId)) as GitHubSecret;
  return { workspaceId: integration.workspaceId, webhookSecret: secret.webhookSecret };
}
