import { systemClock } from '../adapters/clock/system-clock.ts';
import { systemTimers } from '../adapters/clock/system-timers.ts';
import { createCredentialStore } from '../adapters/postgres/credential-store.ts';
import { createSealedColumns } from '../adapters/postgres/sealed-column.ts';
import { createApiTokenStore } from '../adapters/postgres/api-token-store.ts';
import { createAuditLog } from '../adapters/postgres/audit-log.ts';
import { createAuthSessionStore } from '../adapters/postgres/auth-session-store.ts';
import { PgAccessEvents } from '../adapters/postgres/access-events.ts';
import { createAgentProfileStore } from '../adapters/postgres/agent-profile-store.ts';
import { createExecutionStore } from '../adapters/postgres/execution-store.ts';
import { createExecutionDetailsStore } from '../adapters/postgres/execution-details-store.ts';
import { createExecutionSearchStore } from '../adapters/postgres/execution-search-store.ts';
import { createIdempotencyKeyStore } from '../adapters/postgres/idempotency-key-store.ts';
import { createInboxStore } from '../adapters/postgres/inbox-store.ts';
import { createRecipeStore } from '../adapters/postgres/recipe-store.ts';
import { createRecipeTemplateStore } from '../adapters/postgres/recipe-template-store.ts';
import { createDashboardStore } from '../adapters/postgres/dashboard-store.ts';
import { createDeviceAuthorizationStore } from '../adapters/postgres/device-authorization-store.ts';
import { createDocumentStore } from '../adapters/postgres/document-store.ts';
import type { Database } from '../adapters/postgres/database.ts';
import { createLoginAttemptStore } from '../adapters/postgres/login-attempt-store.ts';
import { createUnitOfWork } from '../adapters/postgres/unit-of-work.ts';
import { createUserStore } from '../adapters/postgres/user-store.ts';
import { createWorkspaceStore } from '../adapters/postgres/workspace-store.ts';
import { createWebhookSigningSecretStore } from '../adapters/postgres/webhook-signing-secret-store.ts';
import type { Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import { createSecretSealer } from '../app/credentials/secret-sealer.ts';
import type { Clock } from '../ports/clock.ts';
import type { Timers } from '../ports/timers.ts';
import type { CredentialCipher } from '../ports/credential-cipher.ts';
import type { IdentityProvider } from '../ports/identity-provider.ts';
import type { AccessEvents, Realtime } from '../ports/realtime.ts';

/**
 * The use cases' ports over Postgres, as the Node server, the CLI, the Worker and the dashboard
 * object need them (runtime-neutral: no Node built-ins here, see .dependency-cruiser.cjs).
 */
export function createPostgresAppContext(
  db: Database,
  config: Config,
  options: {
    identityProvider?: IdentityProvider;
    clock?: Clock;
    timers?: Timers;
    realtime?: Realtime;
    accessEvents?: AccessEvents;
    credentialCipher?: CredentialCipher;
  } = {},
): AppContext {
  const cipher = options.credentialCipher ?? noCredentialCipher;
  const clock = options.clock ?? systemClock;
  return {
    clock,
    timers: options.timers ?? systemTimers,
    unitOfWork: createUnitOfWork(db),
    users: createUserStore(db),
    sessions: createAuthSessionStore(db),
    loginAttempts: createLoginAttemptStore(db),
    tokens: createApiTokenStore(db),
    deviceAuthorizations: createDeviceAuthorizationStore(db),
    workspaces: createWorkspaceStore(db),
    dashboards: createDashboardStore(db),
    audit: createAuditLog(db),
    documents: createDocumentStore(db),
    realtime: options.realtime ?? noRealtime,
    accessEvents: options.accessEvents ?? new PgAccessEvents(db),
    recipes: createRecipeStore(db),
    recipeTemplates: createRecipeTemplateStore(db),
    agentProfiles: createAgentProfileStore(db),
    executions: createExecutionStore(db),
    inbox: createInboxStore(db),
    executionDetails: createExecutionDetailsStore(db),
    executionSearch: createExecutionSearchStore(db),
    idempotencyKeys: createIdempotencyKeyStore(db),
    webhookSigningSecrets: createWebhookSigningSecretStore(db),
    identityProvider: options.identityProvider,
    credentials: createPostgresCredentials(db, cipher, clock),
    settings: {
      publicUrl: config.http.publicUrl,
      sessionIdleMinutes: config.identity.sessionIdleMinutes,
      sessionMaxDays: config.identity.sessionMaxDays,
      egressAllow: config.egress.allow,
    },
  };
}

/** Stored secrets over Postgres, sealed and opened with `cipher` (Node checks them before its app context exists). */
export function createPostgresCredentials(
  db: Database,
  cipher: CredentialCipher,
  clock: Clock,
): AppContext['credentials'] {
  return {
    store: createCredentialStore(db),
    cipher,
    sealer: createSecretSealer(cipher, clock),
    columns: createSealedColumns(db),
  };
}

/** For processes without a realtime server (the CLI): live-document use cases say so clearly. */
const noRealtime: Realtime = {
  state: () => Promise.reject(new Error('Live dashboards are not available in this process')),
  applyUpdate: () => Promise.reject(new Error('Live dashboards are not available in this process')),
  presence: async () => [],
};

/** For processes that opened no keys: stored secrets say clearly that they are out of reach here. */
const noCredentialCipher: CredentialCipher = {
  currentKeyId: '',
  keyIds: [],
  seal: () =>
    Promise.reject(new Error('Credentials are not available in this process (no credential keys were opened)')),
  open: () =>
    Promise.reject(new Error('Credentials are not available in this process (no credential keys were opened)')),
  rewrap: () =>
    Promise.reject(new Error('Credentials are not available in this process (no credential keys were opened)')),
};
