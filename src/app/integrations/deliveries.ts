import { IntegrationError } from '../../domain/integrations/errors.ts';
import type { NotifyTarget } from '../../domain/orchestrator/recipe.ts';
import type { Logger } from '../../ports/logger.ts';
import { connectionFor, gitHubOf, googleAccessToken } from './connections.ts';
import type { IntegrationDeps } from './integration-deps.ts';

/** A notify step's delivery through a connection, as its job carries it. */
export interface Delivery {
  readonly workspaceId: string;
  /** The connection the step names, or null for the workspace's only one of the kind. */
  readonly integration: string | null;
  /** The target with its templates rendered. */
  readonly target: NotifyTarget;
  readonly message: string;
  /** `<execution>/<step>/<attempt>`: marks the comment so a person (or a later check) can tell repeats. */
  readonly key: string;
}

/**
 * Delivers a message through the workspace's connection: a comment on a GitHub issue or pull
 * request, or a Google Doc in a Drive folder. Returns what the step outputs (where it landed).
 * Failures are `IntegrationError`s: the step retries the retryable ones and fails on the others.
 */
export async function deliver(
  deps: IntegrationDeps & { readonly logger: Logger },
  delivery: Delivery,
): Promise<Record<string, unknown>> {
  return delivery.target.kind === 'github'
    ? commentOnGitHub(deps, delivery, delivery.target)
    : writeDriveDocument(deps, delivery, delivery.target);
}

async function commentOnGitHub(
  deps: IntegrationDeps & { readonly logger: Logger },
  delivery: Delivery,
  target: Extract<NotifyTarget, { kind: 'github' }>,
): Promise<Record<string, unknown>> {
  const [owner = '', repo = '', ...rest] = target.repository.split('/');
  if (owner === '' || repo === '' || rest.length > 0)
    throw new IntegrationError(
      'github',
      'integration_rejected',
      `"${target.repository}" is not a repository; expected owner/name`,
    );
  const number = Number(target.issue);
  if (!Number.isInteger(number) || number <= 0)
    throw new IntegrationError(
      'github',
      'integration_rejected',
      `"${target.issue}" is not an issue or pull request number`,
    );
  const integration = await connectionFor(deps, delivery.workspaceId, 'github', delivery.integration);
  if (owner.toLowerCase() !== integration.name.toLowerCase())
    throw new IntegrationError(
      'github',
      'integration_denied',
      `${target.repository} is outside the GitHub account ${integration.name} this workspace is connected to`,
    );
  const { app, installationId } = await gitHubOf(deps, integration);
  // A token for this comment alone: one repository, issues: write (which covers pull requests' comments).
  const token = await app.mintToken(installationId, { repositories: [repo], permissions: { issues: 'write' } });
  try {
    // The hidden marker names the attempt, so a comment repeated after a crash can be told apart.
    const comment = await app.commentOnIssue(
      token.token,
      { owner, repo, number },
      `${delivery.message}\n\n<!-- baton:${delivery.key} -->`,
    );
    return { url: comment.url, commentId: comment.id };
  } finally {
    await app
      .revokeToken(token.token)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error }, 'could not revoke a comment token (it expires within an hour)'),
      );
  }
}

async function writeDriveDocument(
  deps: IntegrationDeps,
  delivery: Delivery,
  target: Extract<NotifyTarget, { kind: 'google-drive' }>,
): Promise<Record<string, unknown>> {
  const drive = deps.google?.drive;
  if (drive === undefined)
    throw new IntegrationError('google', 'integration_missing', 'Google Drive is not configured on this Baton');
  const integration = await connectionFor(deps, delivery.workspaceId, 'google-drive', delivery.integration);
  const draft = { folderId: target.folder, name: target.title, markdown: delivery.message };
  try {
    const doc = await drive.createDocument(await googleAccessToken(deps, integration), draft);
    return { url: doc.url, documentId: doc.id, name: doc.name };
  } catch (error) {
    // An access token Google stopped honouring early: refresh once; a revoked grant fails the refresh.
    if (!(error instanceof IntegrationError) || error.code !== 'integration_revoked') throw error;
    const doc = await drive.createDocument(await googleAccessToken(deps, integration, { force: true }), draft);
    return { url: doc.url, documentId: doc.id, name: doc.name };
  }
}
