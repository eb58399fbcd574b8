import type { Transaction } from './unit-of-work.ts';

/** The outside services a workspace can connect. */
export type IntegrationKind = 'github' | 'google-drive';

/** Where a connection stands. */
export type IntegrationStatus = 'pending' | 'connected' | 'revoked';

/**
 * A workspace's connection to GitHub (one App installation) or Google Drive (one account's grant),
 * as stored: what may be shown. Its secrets are sealed in the credentials store under `secretId`.
 */
export interface IntegrationRecord {
  readonly id: string;
  readonly workspaceId: string;
  readonly provider: IntegrationKind;
  readonly status: IntegrationStatus;
  /** The GitHub account's login, or the Google account's e-mail (empty while pending). */
  readonly name: string;
  /** The GitHub installation id; null for Drive. */
  readonly externalId: string | null;
  /** Facts that may be shown (App id, repository selection, scopes, why it was revoked). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly secretId: string | null;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A pending Drive connection, found by the OAuth `state` its callback brings back. */
export interface PendingIntegration extends IntegrationRecord {
  readonly oauthExpiresAt: Date;
}

/** A GitHub installation token handed to one run (revoked when the run ends). */
export interface RunCredential {
  readonly runKey: string;
  readonly integrationId: string | null;
  readonly credentialId: string;
  readonly expiresAt: Date;
}

/** Integrations in storage. */
export interface IntegrationStore {
  /**
   * Stores a new integration (`oauthState` only for a pending Drive connection); undefined when its
   * GitHub installation is connected already (to any workspace).
   */
  create(
    integration: Omit<IntegrationRecord, 'id' | 'createdAt' | 'updatedAt'> & {
      readonly oauthState?: string;
      readonly oauthExpiresAt?: Date;
    },
    tx?: Transaction,
  ): Promise<IntegrationRecord | undefined>;
  /** One integration by id, or undefined. */
  get(id: string, tx?: Transaction): Promise<IntegrationRecord | undefined>;
  /** The same, locked until `tx` ends: for changes that must not race (a token refresh). */
  lock(id: string, tx: Transaction): Promise<IntegrationRecord | undefined>;
  /** A workspace's integrations, oldest first. */
  list(workspaceId: string): Promise<IntegrationRecord[]>;
  /** The GitHub integration of an installation (any workspace), or undefined. */
  byInstallation(installationId: string): Promise<IntegrationRecord | undefined>;
  /** Takes the pending integration of an OAuth `state` (the state is cleared: it works once). */
  takePending(state: string, tx: Transaction): Promise<PendingIntegration | undefined>;
  /** Changes the fields given; returns the new record, or undefined when it is gone. */
  update(
    id: string,
    patch: Partial<Pick<IntegrationRecord, 'status' | 'name' | 'externalId' | 'details' | 'secretId'>>,
    tx?: Transaction,
  ): Promise<IntegrationRecord | undefined>;
  /** Deletes it; true when it existed. */
  delete(id: string, tx?: Transaction): Promise<boolean>;
  /** Records the token a run got. */
  addRunCredential(credential: RunCredential, tx?: Transaction): Promise<void>;
  /** The token a run got, if any (a repeated dispatch hands the same one again). */
  runCredential(runKey: string): Promise<RunCredential | undefined>;
  /** Tokens of runs that ended (or were never recorded as started) and are still on record, oldest first. */
  endedRunCredentials(limit: number): Promise<RunCredential[]>;
}
