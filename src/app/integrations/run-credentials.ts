import type { GitHubScope } from '../../domain/orchestrator/recipe.ts';
import { IntegrationError } from '../../domain/integrations/errors.ts';
import type { Logger } from '../../ports/logger.ts';
import { connectionFor, gitHubOf } from './connections.ts';
import { purposes, type IntegrationDeps } from './integration-deps.ts';

/** The environment a run gets for its GitHub scope. */
export interface RunCredentialEnv {
  readonly GITHUB_TOKEN: string;
  /** ISO 8601: GitHub ends the token then (one hour after it was minted), if the run has not. */
  readonly GITHUB_TOKEN_EXPIRES_AT: string;
}

/**
 * Short-lived credentials for runs: an installation token limited to the repositories and
 * permissions the step names, minted just before the run starts, recorded (sealed) under the run's
 * key, and revoked when the run reports its end, by whichever instance hears of it.
 */
export interface RunCredentials {
  /** Mints the run's token; fails with an `IntegrationError` the step can show. */
  issue(run: {
    readonly key: string;
    readonly workspaceId: string;
    readonly github: GitHubScope;
  }): Promise<RunCredentialEnv>;
  /** Revokes the run's token, if this process minted it (idempotent; failures are logged, the token expires anyway). */
  release(runKey: string): Promise<void>;
  /** Revokes the tokens of runs that ended, whichever instance heard of the end (the reaper calls it). */
  sweep(): Promise<number>;
}

/** Run credentials over the workspace's GitHub connection. */
export function createRunCredentials(deps: IntegrationDeps & { readonly logger: Logger }): RunCredentials {
  // Keys whose token this process minted: their end revokes at once without asking the database
  // (most runs have no token); tokens of runs that ended elsewhere go at the next sweep.
  const issuedHere = new Set<string>();
  /** Revokes at GitHub first, then forgets: a failed revoke stays on record for the next sweep. */
  const revoke = async (runKey: string): Promise<boolean> => {
    const credential = await deps.integrations.runCredential(runKey);
    if (credential === undefined) return false;
    const value = JSON.parse(await deps.vault.read(credential.credentialId)) as {
      token: string;
      integrationId: string;
    };
    const integration = await deps.integrations.get(value.integrationId);
    // A disconnected integration leaves nothing that could use the token (and no key to revoke it with).
    if (integration !== undefined) await (await gitHubOf(deps, integration)).app.revokeToken(value.token);
    // Deleting the sealed token deletes its run_credentials row with it.
    await deps.ctx.unitOfWork.run(async (tx) => deps.vault.remove(tx, credential.credentialId));
    return true;
  };
  return {
    async issue(run) {
      // A dispatch repeated (its backup job, a retry after a crash) hands over the token minted first.
      const earlier = await deps.integrations.runCredential(run.key);
      if (earlier !== undefined) {
        const value = JSON.parse(await deps.vault.read(earlier.credentialId)) as { token: string };
        return { GITHUB_TOKEN: value.token, GITHUB_TOKEN_EXPIRES_AT: earlier.expiresAt.toISOString() };
      }
      const integration = await connectionFor(deps, run.workspaceId, 'github', run.github.integration);
      const repositories = run.github.repositories.map((name) => {
        const [owner, repo] = name.includes('/') ? name.split('/', 2) : [integration.name, name];
        if ((owner ?? '').toLowerCase() !== integration.name.toLowerCase())
          throw new IntegrationError(
            'github',
            'integration_denied',
            `${name} is outside the GitHub account ${integration.name} this workspace is connected to`,
          );
        return repo ?? '';
      });
      const { app, installationId } = await gitHubOf(deps, integration);
      const token = await app.mintToken(installationId, { repositories, permissions: run.github.permissions });
      await deps.ctx.unitOfWork.run(async (tx) => {
        const credentialId = await deps.vault.store(tx, {
          workspaceId: run.workspaceId,
          purpose: purposes.runToken,
          value: JSON.stringify({ token: token.token, integrationId: integration.id }),
        });
        await deps.integrations.addRunCredential(
          { runKey: run.key, integrationId: integration.id, credentialId, expiresAt: token.expiresAt },
          tx,
        );
      });
      issuedHere.add(run.key);
      return { GITHUB_TOKEN: token.token, GITHUB_TOKEN_EXPIRES_AT: token.expiresAt.toISOString() };
    },
    async release(runKey) {
      if (!issuedHere.delete(runKey)) return;
      try {
        await revoke(runKey);
      } catch (error) {
        deps.logger.warn({ err: error, key: runKey }, 'could not revoke a run token (the next sweep tries again)');
      }
    },
    async sweep() {
      let revoked = 0;
      for (const credential of await deps.integrations.endedRunCredentials(100)) {
        try {
          if (await revoke(credential.runKey)) revoked += 1;
        } catch (error) {
          deps.logger.warn(
            { err: error, key: credential.runKey },
            'could not revoke a run token (it expires within an hour)',
          );
        }
      }
      return revoked;
    },
  };
}
