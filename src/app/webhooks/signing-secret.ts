import type { Principal } from '../../domain/access/principal.ts';
import { NotFoundError } from '../../domain/errors.ts';
import type { WebhookSigningSecretStore } from '../../ports/webhook-signing-secrets.ts';
import { auditBy, requireWorkspace } from '../access.ts';
import type { AppContext } from '../context.ts';
import { deleteCredential, readCredential, storeCredential } from '../credentials/credentials.ts';
import { randomSecret } from '../identity/secrets.ts';

// Each workspace signs its outbound webhooks with a secret of its own (docs/webhooks.md), kept
// sealed in the credentials store. Admins get it when they create or rotate it, and only then (as a
// generic trigger's secret); a webhook sent before anyone asked makes one, which the next rotation
// replaces.

/** What the signing-secret use cases need. */
export type WebhookSigningDeps = Pick<
  AppContext,
  'credentials' | 'unitOfWork' | 'workspaces' | 'dashboards' | 'audit' | 'clock'
> & { readonly webhookSigningSecrets: WebhookSigningSecretStore };

const purpose = 'webhook.signing-secret';

/** The workspace's signing secret in clear, made now if it has none: what the webhook sender signs with. */
export async function webhookSigningSecret(deps: WebhookSigningDeps, workspaceId: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const ref = (await deps.webhookSigningSecrets.get(workspaceId)) ?? (await create(deps, workspaceId));
    try {
      return await readCredential(deps, ref.credentialId);
    } catch (error) {
      // Rotated between the two reads: read the new one.
      if (!(error instanceof NotFoundError) || attempt >= 2) throw error;
    }
  }
}

async function create(deps: WebhookSigningDeps, workspaceId: string) {
  return deps.unitOfWork.run(async (tx) => {
    const { id } = await storeCredential(deps, tx, { workspaceId, purpose, secret: randomSecret() });
    const ref = await deps.webhookSigningSecrets.setIfAbsent(workspaceId, id, tx);
    // Another sender made one first: that one stays, ours goes.
    if (ref.credentialId !== id) await deleteCredential(deps, tx, id);
    return ref;
  });
}

/** Whether the workspace has a signing secret, and since when (never the secret). */
export async function webhookSigningSecretInfo(
  deps: WebhookSigningDeps,
  principal: Principal,
  workspaceId: string,
): Promise<{ createdAt: Date }> {
  await requireWorkspace(deps, principal, workspaceId, 'workspace.manage_integrations');
  const ref = await deps.webhookSigningSecrets.get(workspaceId);
  if (ref === undefined) throw new NotFoundError('Webhook signing secret');
  return { createdAt: ref.createdAt };
}

/**
 * Makes a new signing secret for the workspace (admins), replacing the old one at once, and returns
 * it: this answer is the only place it is shown. Audited, without the secret.
 */
export async function rotateWebhookSigningSecret(
  deps: WebhookSigningDeps,
  principal: Principal,
  workspaceId: string,
  requestId: string,
): Promise<{ secret: string; createdAt: Date }> {
  await requireWorkspace(deps, principal, workspaceId, 'workspace.manage_integrations');
  const secret = randomSecret();
  return deps.unitOfWork.run(async (tx) => {
    const { id } = await storeCredential(deps, tx, { workspaceId, purpose, secret });
    const previous = await deps.webhookSigningSecrets.replace(workspaceId, id, tx);
    if (previous !== undefined) await deleteCredential(deps, tx, previous);
    await deps.audit.record(
      auditBy(principal, requestId, {
        action: 'webhook_signing_secret.rotated',
        workspaceId,
        targetType: 'workspace',
        targetId: workspaceId,
        details: { replaced: previous !== undefined },
      }),
      tx,
    );
    const ref = await deps.webhookSigningSecrets.get(workspaceId, tx);
    return { secret, createdAt: ref?.createdAt ?? deps.clock.now() };
  });
}
