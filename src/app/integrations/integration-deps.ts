import type { GitHubApp } from '../../ports/github.ts';
import type { GoogleDrive, GoogleOAuth } from '../../ports/google.ts';
import type { IntegrationStore } from '../../ports/integrations.ts';
import type { Transaction } from '../../ports/unit-of-work.ts';
import type { AppContext } from '../context.ts';

/**
 * Secrets sealed at rest (the credentials store, `src/app/credentials`), as integrations use them:
 * stored and replaced inside the caller's transaction, read back in clear only where used.
 */
export interface SecretVault {
  /** Seals and stores a secret; returns its id. */
  store(
    tx: Transaction,
    secret: { readonly workspaceId: string; readonly purpose: string; readonly value: string },
  ): Promise<string>;
  /** The secret in clear (throws when it is gone or cannot be opened). */
  read(id: string): Promise<string>;
  /** Seals a new value under the same id. */
  replace(tx: Transaction, id: string, value: string): Promise<void>;
  /** Deletes it (nothing when it is gone). */
  remove(tx: Transaction, id: string): Promise<void>;
}

/** Baton's Google OAuth client and the Drive API; undefined when Google is not configured. */
export interface GoogleClients {
  readonly oauth: GoogleOAuth;
  readonly drive: GoogleDrive;
}

/** What the integration use cases need. */
export interface IntegrationDeps {
  readonly ctx: Pick<AppContext, 'unitOfWork' | 'clock' | 'workspaces' | 'dashboards' | 'audit' | 'settings'>;
  readonly integrations: IntegrationStore;
  readonly vault: SecretVault;
  /** A client of one GitHub App (its id and private key come with each connection). */
  readonly githubApp: (app: { readonly appId: string; readonly privateKeyPem: string }) => GitHubApp;
  readonly google: GoogleClients | undefined;
}

/** What a GitHub connection keeps sealed: the App's private key and its webhook secret. */
export interface GitHubSecret {
  readonly privateKey: string;
  readonly webhookSecret: string;
}

/** What a Drive connection keeps sealed: while pending the PKCE verifier, then the tokens. */
export type GoogleSecret =
  | { readonly codeVerifier: string }
  | { readonly refreshToken: string; readonly accessToken: string; readonly expiresAt: string };

/** Credential purposes (as stored with each sealed secret). */
export const purposes = {
  github: 'github.app',
  google: 'google-drive.grant',
  runToken: 'github.run-token',
} as const;
