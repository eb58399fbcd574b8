import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../adapters/clock/system-clock.ts';
import { createCredentialStore } from '../adapters/postgres/credential-store.ts';
import { createEnvelopeCipher } from '../adapters/webcrypto/envelope-cipher.ts';
import { createApiTokenStore } from '../adapters/postgres/api-token-store.ts';
import { createAuditLog } from '../adapters/postgres/audit-log.ts';
import { createAuthSessionStore } from '../adapters/postgres/auth-session-store.ts';
import { PgAccessEvents } from '../adapters/postgres/access-events.ts';
import { createAgentProfileStore } from '../adapters/postgres/agent-profile-store.ts';
import { createExecutionStore } from '../adapters/postgres/execution-store.ts';
import { createRecipeStore } from '../adapters/postgres/recipe-store.ts';
import { createDashboardStore } from '../adapters/postgres/dashboard-store.ts';
import { createDocumentStore } from '../adapters/postgres/document-store.ts';
import type { Database } from '../adapters/postgres/database.ts';
import { createLoginAttemptStore } from '../adapters/postgres/login-attempt-store.ts';
import { createUnitOfWork } from '../adapters/postgres/unit-of-work.ts';
import { createUserStore } from '../adapters/postgres/user-store.ts';
import { createWorkspaceStore } from '../adapters/postgres/workspace-store.ts';
import { parseCredentialKeys, type Config } from '../app/config.ts';
import type { AppContext } from '../app/context.ts';
import type { Clock } from '../ports/clock.ts';
import type { CredentialCipher, Keyring } from '../ports/credential-cipher.ts';
import type { Logger } from '../ports/logger.ts';
import type { IdentityProvider } from '../ports/identity-provider.ts';
import type { Realtime } from '../ports/realtime.ts';

/** The use cases' ports over Postgres, as the Node server and the CLI both need them. */
export function createPostgresAppContext(db: Database, config: Config, options: { identityProvider?: IdentityProvider; clock?: Clock; realtime?: Realtime; credentialCipher?: CredentialCipher } = {}): AppContext {
  return {
    clock: options.clock ?? systemClock,
    unitOfWork: createUnitOfWork(db),
    users: createUserStore(db),
    sessions: createAuthSessionStore(db),
    loginAttempts: createLoginAttemptStore(db),
    tokens: createApiTokenStore(db),
    workspaces: createWorkspaceStore(db),
    dashboards: createDashboardStore(db),
    audit: createAuditLog(db),
    documents: createDocumentStore(db),
    realtime: options.realtime ?? noRealtime,
    accessEvents: new PgAccessEvents(db),
    recipes: createRecipeStore(db),
    agentProfiles: createAgentProfileStore(db),
    executions: createExecutionStore(db),
    identityProvider: options.identityProvider,
    credentials: { store: createCredentialStore(db), cipher: options.credentialCipher ?? noCredentialCipher },
    settings: { publicUrl: config.http.publicUrl, sessionIdleMinutes: config.identity.sessionIdleMinutes, sessionMaxDays: config.identity.sessionMaxDays },
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
  seal: () => Promise.reject(new Error('Credentials are not available in this process (no credential keys were opened)')),
  open: () => Promise.reject(new Error('Credentials are not available in this process (no credential keys were opened)')),
  rewrap: () => Promise.reject(new Error('Credentials are not available in this process (no credential keys were opened)')),
};

/** The development key file under BATON_DATA_DIR: the BATON_CREDENTIAL_KEYS format, one key. */
export const devCredentialKeyFile = 'credential-keys';

/** The envelope cipher over the configured keys (BATON_CREDENTIAL_KEYS, or the development key file). */
export async function openCredentialCipher(config: Config, logger: Logger): Promise<CredentialCipher> {
  return createEnvelopeCipher(await credentialKeyring(config, logger));
}

/**
 * BATON_CREDENTIAL_KEYS when set. Otherwise (never in production: the configuration refuses that)
 * the key in BATON_DATA_DIR/credential-keys, generated on the first start, so stored secrets survive
 * restarts without set-up. The file is created whole or not at all (written aside, then linked), so
 * a server and a CLI command starting together agree on one key.
 */
export async function credentialKeyring(config: Config, logger: Logger): Promise<Keyring> {
  if (config.credentials.keyring !== undefined) return config.credentials.keyring;
  if (config.env === 'production') throw new Error('BATON_CREDENTIAL_KEYS is required in production');
  const path = join(config.dataDir, devCredentialKeyFile);
  await mkdir(config.dataDir, { recursive: true });
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(draft, `local-${randomBytes(4).toString('hex')}:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  try {
    await link(draft, path);
    logger.warn({ path }, 'BATON_CREDENTIAL_KEYS is unset: generated a credential key and stored it in this file; keep it with the database (see docs/credentials.md)');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(draft);
  }
  const parsed = parseCredentialKeys((await readFile(path, 'utf8')).trim());
  if ('problems' in parsed) throw new Error(`${path} (the generated credential key, used while BATON_CREDENTIAL_KEYS is unset): ${parsed.problems.join('; ')}`);
  return parsed.keyring;
}
