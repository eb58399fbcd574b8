import type { AppContext } from '../context.ts';
import { deleteCredential, readCredential, replaceCredential, storeCredential } from '../credentials/credentials.ts';
import type { SecretVault } from './integration-deps.ts';

/** The credentials store (envelope encryption) as integrations use it. */
export function credentialVault(ctx: Pick<AppContext, 'credentials'>): SecretVault {
  return {
    store: async (tx, secret) =>
      (
        await storeCredential(ctx, tx, {
          workspaceId: secret.workspaceId,
          purpose: secret.purpose,
          secret: secret.value,
        })
      ).id,
    read: async (id) => readCredential(ctx, id),
    replace: async (tx, id, value) => replaceCredential(ctx, tx, id, value),
    remove: async (tx, id) => void (await deleteCredential(ctx, tx, id)),
  };
}
