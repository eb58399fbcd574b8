import type { Transaction } from './unit-of-work.ts';

/** Which stored credential holds a workspace's webhook signing secret, and since when. */
export interface WebhookSigningSecretRef {
  readonly credentialId: string;
  readonly createdAt: Date;
}

/**
 * The current webhook signing secret of each workspace, as a reference to the credential that
 * holds it sealed (`src/app/credentials/credentials.ts`): the secret itself is never stored here.
 */
export interface WebhookSigningSecretStore {
  /** The workspace's current secret; undefined when it has none yet. */
  get(workspaceId: string, tx?: Transaction): Promise<WebhookSigningSecretRef | undefined>;
  /** Makes `credentialId` the workspace's secret unless it has one; returns the one it has now. */
  setIfAbsent(workspaceId: string, credentialId: string, tx: Transaction): Promise<WebhookSigningSecretRef>;
  /** Makes `credentialId` the workspace's secret; returns the credential id it replaced, if any. */
  replace(workspaceId: string, credentialId: string, tx: Transaction): Promise<string | undefined>;
}
