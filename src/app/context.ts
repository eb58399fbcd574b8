import type { AgentProfileStore } from '../ports/agent-profiles.ts';
import type { ApiTokenStore } from '../ports/api-tokens.ts';
import type { AuditLog } from '../ports/audit-log.ts';
import type { AuthSessionStore } from '../ports/auth-sessions.ts';
import type { Clock } from '../ports/clock.ts';
import type { Timers } from '../ports/timers.ts';
import type { CredentialCipher } from '../ports/credential-cipher.ts';
import type { CredentialStore } from '../ports/credentials.ts';
import type { DashboardStore } from '../ports/dashboards.ts';
import type { DeviceAuthorizationStore } from '../ports/device-authorizations.ts';
import type { DocumentStore } from '../ports/document-store.ts';
import type { ExecutionStore } from '../ports/executions.ts';
import type { ExecutionDetailsStore } from '../ports/execution-details.ts';
import type { ExecutionSearch } from '../ports/execution-search.ts';
import type { IdempotencyKeyStore } from '../ports/idempotency-keys.ts';
import type { IdentityProvider } from '../ports/identity-provider.ts';
import type { InboxStore } from '../ports/inbox.ts';
import type { LoginAttemptStore } from '../ports/login-attempts.ts';
import type { AccessEvents, Realtime } from '../ports/realtime.ts';
import type { RecipeStore } from '../ports/recipes.ts';
import type { RecipeTemplateStore } from '../ports/recipe-templates.ts';
import type { SealedColumn, SecretSealer } from '../ports/sealed-secrets.ts';
import type { UnitOfWork } from '../ports/unit-of-work.ts';
import type { UserStore } from '../ports/users.ts';
import type { WebhookSigningSecretStore } from '../ports/webhook-signing-secrets.ts';
import type { WorkspaceStore } from '../ports/workspaces.ts';

/**
 * Everything the use cases need from the world, as ports. Each runtime's composition root builds
 * one; use cases take the `Pick<>` of it they use, so their tests can hand them small fakes.
 */
export interface AppContext {
  readonly clock: Clock;
  /** Waiting (delays, pauses, polls), counted on the same terms as `clock`. */
  readonly timers: Timers;
  readonly unitOfWork: UnitOfWork;
  readonly users: UserStore;
  readonly sessions: AuthSessionStore;
  readonly loginAttempts: LoginAttemptStore;
  readonly tokens: ApiTokenStore;
  /** Device sign-ins (RFC 8628) waiting for, or given, a person's approval. */
  readonly deviceAuthorizations: DeviceAuthorizationStore;
  readonly workspaces: WorkspaceStore;
  readonly dashboards: DashboardStore;
  readonly audit: AuditLog;
  /** Stored dashboard documents and their items projection. */
  readonly documents: DocumentStore;
  /** Live dashboard documents (Hocuspocus on Node, Durable Objects on Cloudflare). */
  readonly realtime: Realtime;
  /** Tells realtime servers to re-check open connections after access changed. */
  readonly accessEvents: AccessEvents;
  readonly recipes: RecipeStore;
  /** A workspace's own recipe templates (the shipped ones are in the code). */
  readonly recipeTemplates: RecipeTemplateStore;
  readonly agentProfiles: AgentProfileStore;
  readonly executions: ExecutionStore;
  /** What waits for a person across their workspaces (`GET /v1/me/inbox`). */
  readonly inbox: InboxStore;
  /** What executions' runs left behind: artifacts, runs, cost, and the summaries. */
  readonly executionDetails: ExecutionDetailsStore;
  /** Finds executions by status, recipe, dashboard, origin, creator and time, newest first. */
  readonly executionSearch: ExecutionSearch;
  /** First answers of POST routes that start work, by the caller's `Idempotency-Key`. */
  readonly idempotencyKeys: IdempotencyKeyStore;
  /** Which credential holds each workspace's webhook signing secret (`src/app/webhooks/signing-secret.ts`). */
  readonly webhookSigningSecrets: WebhookSigningSecretStore;
  /** The OIDC provider users sign in with; undefined when login is not configured. */
  readonly identityProvider: IdentityProvider | undefined;
  /** Encrypted integration secrets: use them through `src/app/credentials/credentials.ts`. */
  readonly credentials: Credentials;
  readonly settings: AppSettings;
}

/** The sealed-secret store and the cipher that seals and opens its rows. */
export interface Credentials {
  readonly store: CredentialStore;
  readonly cipher: CredentialCipher;
  /**
   * Seals and opens the secrets kept in their own rows (signing keys, trigger and
   * callback secrets), with a short cache.
   */
  readonly sealer: SecretSealer;
  /** Those columns, for rotation, the start-up checks and sealing what an older Baton left in clear. */
  readonly columns: readonly SealedColumn[];
}

/** Plain values from the configuration that use cases need. */
export interface AppSettings {
  /** Baton's public URL without a trailing slash, e.g. https://baton.example.com. */
  readonly publicUrl: string;
  readonly sessionIdleMinutes: number;
  readonly sessionMaxDays: number;
  /** BATON_EGRESS_ALLOW's entries: what webhook URLs may reach besides public addresses. */
  readonly egressAllow: readonly string[];
}
