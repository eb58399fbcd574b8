import packageJson from '../../../package.json' with { type: 'json' };
import { DurableObjectAccessEvents } from '../../adapters/cloudflare/durable-object-access-events.ts';
import { CloudflareQueuesJobQueue } from '../../adapters/cloudflare/queues-job-queue.ts';
import { createOpenIdClientProvider } from '../../adapters/oidc/openid-client-identity-provider.ts';
import { createDatabase, databaseProbe, type Database } from '../../adapters/postgres/database.ts';
import { PostgresJobOutbox } from '../../adapters/postgres/job-outbox.ts';
import { createLiveConnectionStore } from '../../adapters/postgres/live-connection-store.ts';
import { schemaLevelProbe } from '../../adapters/postgres/schema-level.ts';
import { createEnvelopeCipher } from '../../adapters/webcrypto/envelope-cipher.ts';
import type { Config } from '../../app/config.ts';
import type { AppContext } from '../../app/context.ts';
import type { AnyRoute } from '../../app/http/route.ts';
import { buildRouteTable } from '../../app/http/routes/index.ts';
import { CredentialKeyError, type CredentialCipher } from '../../ports/credential-cipher.ts';
import type { IdentityProvider } from '../../ports/identity-provider.ts';
import type { Logger } from '../../ports/logger.ts';
import { createPostgresAppContext } from '../app-context.ts';
import { checkKeysBeforeServing } from '../startup-checks.ts';
import type { WorkerEnv } from './env.ts';
import { wireWorkerOrchestrator, type WorkerOrchestrator } from './orchestrator.ts';
import { workerRealtime } from './realtime.ts';

/** Everything one Worker invocation (a request, a batch, a cron tick) works with. */
export interface WorkerApp {
  readonly config: Config;
  readonly db: Database;
  readonly app: AppContext;
  /** The job queue over the JOBS binding (the consumer side runs batches through it). */
  readonly jobs: CloudflareQueuesJobQueue;
  /** The outbox relay into the queue (Workers keep no timer: entry points call `relayOutbox`). */
  readonly outbox: PostgresJobOutbox;
  /** The route table, mounted by the fetch router. */
  readonly routes: readonly AnyRoute[];
  /** Access changes for the dashboards' objects, posted by `deliver` once the invocation's work is done. */
  readonly accessEvents: DurableObjectAccessEvents | undefined;
  /**
   * The orchestrator, sessions, schedules and triggers; undefined when sandboxes are out of reach
   * (provider `local`).
   */
  readonly orchestrator: WorkerOrchestrator | undefined;
  /** Closes the invocation's database connection (call it in `ctx.waitUntil`). */
  close(): Promise<void>;
}

// Per isolate, not per request: discovery and key import are slow and their inputs do not change
// while the isolate lives (a new deployment or secret starts new isolates).
let identity: { readonly key: string; readonly provider: IdentityProvider } | undefined;
let cipher: { readonly key: string; readonly cipher: Promise<CredentialCipher> } | undefined;
/** The outcome of the credential-key check for these keys (a refusal's message), once it ran to the end. */
let keysChecked: { readonly key: string; readonly refusal: string | undefined } | undefined;

/**
 * The composition root of one invocation: a kysely handle over a small pool (opened
 * on first use, so requests that need no database, like /healthz, never connect; Hyperdrive does
 * the real pooling, a client per invocation is what Cloudflare recommends), the use cases' ports,
 * the queue and the route table.
 *
 * The orchestrator, sessions, schedules, triggers and integrations are wired by
 * `wireWorkerOrchestrator` (their job handlers registered on this invocation's queue adapter) when
 * the sandbox provider is reachable from a Worker (http or fly). Realtime goes to the
 * dashboards' Durable Objects (`workerRealtime`).
 */
export async function openWorkerApp(env: WorkerEnv, config: Config, logger: Logger): Promise<WorkerApp> {
  // Three, not one: a use case may read outside the transaction it holds (the engine reads a
  // recipe while an intervention locks its execution), which with one connection waits forever.
  // Workers allow six open connections per invocation; Hyperdrive pools them for real.
  const db = createDatabase({ url: config.database.url ?? '', poolMax: 3, logger });
  const credentialCipher = await credentialCipherOf(config);
  const identityProvider = identityProviderOf(config, logger);
  const accessEvents =
    env.DASHBOARDS === undefined
      ? undefined
      : new DurableObjectAccessEvents({
          namespace: env.DASHBOARDS,
          connections: createLiveConnectionStore(db),
          logger,
        });
  const app = createPostgresAppContext(db, config, {
    realtime: workerRealtime(env),
    ...(accessEvents === undefined ? {} : { accessEvents }),
    ...(credentialCipher === undefined ? {} : { credentialCipher }),
    ...(identityProvider === undefined ? {} : { identityProvider }),
  });
  const jobs = new CloudflareQueuesJobQueue({ queue: env.JOBS, logger });
  await jobs.start();
  const outbox = new PostgresJobOutbox({ db, queue: jobs.outboxRelay(), logger });
  // The Worker does not migrate (no file system for migrations/): they run before a deployment
  // (`npm run migrate`, see the README), and /readyz says when the newest one is missing.
  const orchestrator = await wireWorkerOrchestrator({ config, db, app, jobs, outbox, logger });
  const routes = buildRouteTable({
    version: packageJson.version,
    probes: [databaseProbe(db), schemaLevelProbe(db)],
    app,
    ...orchestrator?.routes,
  });
  return { config, db, app, jobs, outbox, routes, accessEvents, orchestrator, close: () => db.destroy() };
}

/**
 * Moves every committed job that is due (or almost) from the outbox to the queue, batch after
 * batch; returns how many. Workers have no background timer, so this runs after each write request
 * (in `waitUntil`) and on every cron tick, which keeps delayed jobs moving within a minute.
 */
export async function relayOutbox(worker: Pick<WorkerApp, 'outbox'>, batchSize = 500): Promise<number> {
  let moved = 0;
  for (;;) {
    const count = await worker.outbox.relayOnce();
    moved += count;
    if (count < batchSize) return moved;
  }
}

/** Whether this isolate may serve with its credential keys: `unchecked` when the check could not run. */
export type KeyCheck = 'ok' | 'refused' | 'unchecked';

/**
 * Node's start-up check of the credential keys (`checkKeysBeforeServing`) for a Worker, which has no
 * start-up: on the first invocation of an isolate that uses its keys, and then remembered. Keys that
 * do not open the stored secrets are an operator's mistake: logged once, and every invocation of the
 * isolate is refused without asking the database again (a new secret starts new isolates). A check
 * that could not run (the database did not answer) is logged and tried again by the next invocation.
 * Without BATON_CREDENTIAL_KEYS the Worker opened no keys: nothing can be sealed with a wrong one.
 */
export async function checkWorkerKeys(worker: Pick<WorkerApp, 'config' | 'app'>, logger: Logger): Promise<KeyCheck> {
  const keyring = worker.config.credentials.keyring;
  if (keyring === undefined) return 'ok';
  // As for the cipher: other bytes under the same ids come with a new secret, hence new isolates.
  const key = `${keyring.current}:${[...keyring.keys.keys()].join(',')}`;
  if (keysChecked?.key !== key) {
    try {
      await checkKeysBeforeServing(worker.app, logger);
      keysChecked = { key, refusal: undefined };
    } catch (error) {
      if (!(error instanceof CredentialKeyError)) {
        logger.warn({ err: error }, 'could not check the credential keys; the next invocation tries again');
        return 'unchecked';
      }
      logger.error({ code: error.code, keyId: error.keyId }, `Baton refuses to serve: ${error.message}`);
      keysChecked = { key, refusal: error.message };
    }
  }
  return keysChecked.refusal === undefined ? 'ok' : 'refused';
}

function identityProviderOf(config: Config, logger: Logger): IdentityProvider | undefined {
  const oidc = config.identity.oidc;
  if (oidc === undefined) {
    // The development identity provider is a server of its own: it cannot run inside a Worker.
    if (config.identity.devIdp !== undefined)
      logger.warn({}, 'BATON_DEV_IDP cannot run in a Worker; sign-in is unavailable until OIDC_ISSUER is set');
    return undefined;
  }
  const key = `${oidc.issuer}\n${oidc.clientId}\n${oidc.clientSecret}`;
  if (identity?.key !== key)
    identity = { key, provider: createOpenIdClientProvider({ ...oidc, allowHttp: config.env !== 'production' }) };
  return identity.provider;
}

async function credentialCipherOf(config: Config): Promise<CredentialCipher | undefined> {
  const keyring = config.credentials.keyring;
  // Outside production Node generates a key file; a Worker has no disk, so secrets stay sealed away.
  if (keyring === undefined) return undefined;
  const key = `${keyring.current}:${[...keyring.keys.keys()].join(',')}`;
  if (cipher?.key !== key) {
    const opened = createEnvelopeCipher(keyring);
    cipher = { key, cipher: opened };
    opened.catch(() => {
      if (cipher?.cipher === opened) cipher = undefined; // try again on the next invocation
    });
  }
  return cipher.cipher;
}
