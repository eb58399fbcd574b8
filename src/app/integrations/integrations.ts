import type { Principal } from '../../domain/access/principal.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { IntegrationError } from '../../domain/integrations/errors.ts';
import type { GitHubInstallation } from '../../ports/github.ts';
import type { IntegrationRecord } from '../../ports/integrations.ts';
import { auditBy, requireWorkspace } from '../access.ts';
import { purposes, type GitHubSecret, type GoogleSecret, type IntegrationDeps } from './integration-deps.ts';

/** An integration as the API shows it: never a secret. */
export type IntegrationView = Omit<IntegrationRecord, 'secretId'>;

/** What the API may show of an integration. */
export const viewOf = ({ secretId: _secret, ...shown }: IntegrationRecord): IntegrationView => shown;

/** What connecting a GitHub App installation takes (the App is the workspace's own). */
export interface GitHubConnectInput {
  readonly appId: string;
  /** The App's private key as GitHub hands it out (PEM, PKCS#1 or PKCS#8). */
  readonly privateKey: string;
  /** The App's webhook secret: deliveries of this installation are checked with it. */
  readonly webhookSecret: string;
  readonly installationId: number;
}

/** A workspace's integrations; admins only. */
export async function listIntegrations(
  deps: IntegrationDeps,
  principal: Principal,
  workspaceId: string,
): Promise<IntegrationView[]> {
  await requireWorkspace(deps.ctx, principal, workspaceId, 'workspace.manage_integrations');
  return (await deps.integrations.list(workspaceId)).map(viewOf);
}

/**
 * Connects an installation of a GitHub App to the workspace: Baton asks GitHub (as the App) for the
 * installation first, so a wrong key, App id or installation id is refused here, not at the first
 * step. An installation belongs to one workspace (its webhook deliveries go there).
 */
export async function connectGitHub(
  deps: IntegrationDeps,
  principal: Principal,
  workspaceId: string,
  input: GitHubConnectInput,
  requestId: string,
): Promise<IntegrationView> {
  await requireWorkspace(deps.ctx, principal, workspaceId, 'workspace.manage_integrations');
  const installationId = String(input.installationId);
  if ((await deps.integrations.byInstallation(installationId)) !== undefined)
    throw new ConflictError(`GitHub installation ${installationId} is already connected to a workspace`);
  const installation = await lookUpInstallation(deps, input);
  const secret: GitHubSecret = { privateKey: input.privateKey, webhookSecret: input.webhookSecret };
  const created = await deps.ctx.unitOfWork.run(async (tx) => {
    const secretId = await deps.vault.store(tx, {
      workspaceId,
      purpose: purposes.github,
      value: JSON.stringify(secret),
    });
    const details = {
      appId: input.appId,
      accountType: installation.account.type,
      repositorySelection: installation.repositorySelection,
      permissions: installation.permissions,
    };
    const integration = await deps.integrations.create(
      {
        workspaceId,
        provider: 'github',
        status: 'connected',
        name: installation.account.login,
        externalId: installationId,
        details,
        secretId,
        createdBy: principal.userId,
      },
      tx,
    );
    if (integration === undefined)
      throw new ConflictError(`GitHub installation ${installationId} is already connected to a workspace`);
    await deps.ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'integration.connected',
        workspaceId,
        targetType: 'integration',
        targetId: integration.id,
        details: { provider: 'github', account: integration.name, installationId },
      }),
      tx,
    );
    return integration;
  });
  return viewOf(created);
}

async function lookUpInstallation(deps: IntegrationDeps, input: GitHubConnectInput): Promise<GitHubInstallation> {
  let installation: GitHubInstallation;
  try {
    installation = await deps
      .githubApp({ appId: input.appId, privateKeyPem: input.privateKey })
      .installation(input.installationId);
  } catch (error) {
    if (error instanceof IntegrationError && error.retryable) throw error;
    // A 401 refuses the App's JWT: the key or the App id is wrong (GitHub does not say which), not the installation.
    if (error instanceof IntegrationError && (error.details as { status?: number } | undefined)?.status === 401) {
      throw new InvalidInputError([
        {
          location: 'body',
          path: 'appId',
          message:
            `GitHub refused the App's credentials: the App id and the ` +
            `private key must belong to the same App (${error.message})`,
        },
        { location: 'body', path: 'privateKey', message: 'GitHub refused a token signed with it for this App id' },
      ]);
    }
    if (error instanceof IntegrationError)
      throw new InvalidInputError([
        { location: 'body', path: 'installationId', message: `GitHub refused it: ${error.message}` },
      ]);
    // The client refuses a key it cannot read before it asks GitHub anything.
    throw new InvalidInputError([
      {
        location: 'body',
        path: 'privateKey',
        message: error instanceof Error ? error.message : 'is not a private key GitHub issues',
      },
    ]);
  }
  if (installation.suspendedAt !== null)
    throw new InvalidInputError([
      {
        location: 'body',
        path: 'installationId',
        message: `installation ${input.installationId} is suspended on GitHub`,
      },
    ]);
  return installation;
}

/**
 * Disconnects an integration: a Drive grant is revoked at Google first (if Google cannot be reached
 * the connection stays, so nothing is left granted that Baton forgot); the sealed secrets go with it.
 */
export async function disconnectIntegration(
  deps: IntegrationDeps,
  principal: Principal,
  workspaceId: string,
  integrationId: string,
  requestId: string,
): Promise<void> {
  await requireWorkspace(deps.ctx, principal, workspaceId, 'workspace.manage_integrations');
  const integration = await deps.integrations.get(integrationId);
  if (integration?.workspaceId !== workspaceId) throw new NotFoundError('Integration');
  if (integration.provider === 'google-drive' && integration.secretId !== null && deps.google !== undefined) {
    const secret = JSON.parse(await deps.vault.read(integration.secretId)) as GoogleSecret;
    // Revoking the refresh token ends the whole grant, its access tokens included.
    if ('refreshToken' in secret) await deps.google.oauth.revoke(secret.refreshToken);
  }
  await deps.ctx.unitOfWork.run(async (tx) => {
    if (!(await deps.integrations.delete(integration.id, tx))) return;
    if (integration.secretId !== null) await deps.vault.remove(tx, integration.secretId);
    await deps.ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'integration.disconnected',
        workspaceId,
        targetType: 'integration',
        targetId: integration.id,
        details: { provider: integration.provider, account: integration.name },
      }),
      tx,
    );
  });
}
