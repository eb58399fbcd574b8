import { z } from 'zod';
import { decodeBase64 } from '../domain/base64.ts';
import { parseEgressAllowList } from '../domain/network/address-policy.ts';
import type { Keyring } from '../ports/credential-cipher.ts';

/** Where the service runs; decides safe defaults (log format, what may be enabled). */
export const environments = ['development', 'test', 'production'] as const;
export type Environment = (typeof environments)[number];

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A config variable: its schema, and the one-line description the README's table repeats. */
interface Variable {
  readonly schema: z.ZodType;
  readonly description: string;
}

const port = z.coerce
  .number({ error: 'expected a whole number' })
  .int('expected a whole number')
  .min(1, 'expected a port between 1 and 65535')
  .max(65535, 'expected a port between 1 and 65535');
const positiveInt = (what: string) =>
  z.coerce
    .number({ error: `expected ${what}` })
    .int(`expected ${what}`)
    .positive(`expected ${what}`);
const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as https://baton.example.com' });
/**
 * BATON_TRUST_PROXY: false, true, a hop count (a whole number), or a comma-separated list of
 * addresses, CIDR ranges and proxy-addr's named ranges.
 */
function isTrustProxy(text: string): boolean {
  if (text === 'true' || text === 'false' || /^\d{1,3}$/.test(text)) return true;
  const octet = '(25[0-5]|2[0-4]\\d|1?\\d?\\d)';
  const ipv4 = new RegExp(`^${octet}(\\.${octet}){3}(/(3[0-2]|[12]?\\d))?$`);
  const ipv6 = /^(?=.*:)[0-9A-Fa-f:.]{2,45}(\/(12[0-8]|1[01]\d|\d?\d))?$/;
  return text.split(',').every((entry) => {
    const one = entry.trim();
    return ['loopback', 'linklocal', 'uniquelocal'].includes(one) || ipv4.test(one) || ipv6.test(one);
  });
}
/**
 * BATON_PUBLIC_URL outside production: localhost when Baton listens on loopback or on every address
 * (a browser on this machine reaches it there), else the one address it listens on. Whatever it is,
 * `npm start` prints it: the login cookie is per host, so sign-in must begin where it will end.
 */
function defaultPublicUrl(host: string, port: number): string {
  const local =
    host === 'localhost' || host === '0.0.0.0' || host === '::' || host === '::1' || host.startsWith('127.');
  return `http://${local ? 'localhost' : host.includes(':') ? `[${host}]` : host}:${port}`;
}
/** A retention period: a number of days, or 0 or `forever` to keep (null). */
const retentionDays = z
  .string()
  .regex(/^(\d+|forever)$/, { error: 'expected a number of days, or 0 or forever to keep everything' })
  .transform((text) => (text === 'forever' || Number(text) === 0 ? null : Number(text)));
const postgresUrl = z.url({
  protocol: /^postgres(ql)?$/,
  error: 'expected a postgres:// URL such as postgres://user:password@host:5432/baton',
});

/**
 * Every environment variable Baton reads, in one place. The README's configuration table and the
 * Docker compose file are checked against these names by tests.
 */
export const configVariables = {
  BATON_ENV: {
    schema: z.enum(environments, { error: `expected one of ${environments.join(', ')}` }).default('development'),
    description:
      'Which configuration profile applies: development (readable logs, embedded database allowed), ' +
      'test, or production (JSON logs, DATABASE_URL, BATON_PUBLIC_URL and BATON_CREDENTIAL_KEYS required).',
  },
  PORT: { schema: port.default(8787), description: 'TCP port the HTTP server listens on.' },
  HOST: {
    schema: z.string().min(1, 'expected a host name or address').default('127.0.0.1'),
    description:
      'Address the HTTP server binds to (0.0.0.0 to accept connections from other machines; the Docker image sets it).',
  },
  DATABASE_URL: {
    schema: postgresUrl.optional(),
    description:
      'Postgres connection URL. When unset (development only), Baton starts an embedded Postgres under BATON_DATA_DIR.',
  },
  DATABASE_POOL_MAX: {
    schema: positiveInt('a positive whole number').default(10),
    description: 'Largest number of Postgres connections the HTTP and use-case pool opens.',
  },
  BATON_DATA_DIR: {
    schema: z.string().min(1, 'expected a directory path').default('./.data'),
    description:
      'Directory for local state: the embedded Postgres cluster and its credentials, ' +
      'and the generated credential key when BATON_CREDENTIAL_KEYS is unset.',
  },
  BATON_PUBLIC_URL: {
    schema: httpUrl.optional(),
    description:
      'The URL users and sandboxes reach Baton at (used for links and callbacks; sign-in ' +
      'works only there, and `npm start` prints it). Defaults outside production to ' +
      'http://localhost:PORT, or http://HOST:PORT when HOST is one address other than loopback.',
  },
  LOG_LEVEL: {
    schema: z.enum(logLevels, { error: `expected one of ${logLevels.join(', ')}` }).default('info'),
    description: 'Minimum level of log lines written.',
  },
  BATON_LOG_FORMAT: {
    schema: z.enum(['json', 'pretty'], { error: 'expected json or pretty' }).optional(),
    description:
      'Log line format: json, or pretty (human-readable). Defaults to pretty in development, json otherwise.',
  },
  BATON_BODY_LIMIT: {
    schema: positiveInt('a size in bytes').default(1_048_576),
    description: 'Largest accepted request body in bytes; larger bodies get 413.',
  },
  BATON_SHUTDOWN_TIMEOUT_MS: {
    schema: positiveInt('a duration in milliseconds').default(8000),
    description: 'How long a graceful shutdown waits for in-flight requests and jobs before it stops them.',
  },
  OIDC_ISSUER: {
    schema: httpUrl.optional(),
    description:
      'Issuer URL of the OpenID Connect provider users sign in with (discovery at ' +
      '/.well-known/openid-configuration). Set together with OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.',
  },
  OIDC_CLIENT_ID: { schema: z.string().min(1).optional(), description: "Baton's client id at the OIDC provider." },
  OIDC_CLIENT_SECRET: {
    schema: z.string().min(1).optional(),
    description:
      "Baton's client secret at the OIDC provider. Register BATON_PUBLIC_URL + /auth/callback as its redirect URI.",
  },
  BATON_DEV_IDP: {
    schema: z.enum(['true', 'false'], { error: 'expected true or false' }).optional(),
    description:
      'Run the built-in development identity provider (sign in as any e-mail). ' +
      'Defaults to true in development when OIDC_ISSUER is unset; refused in production.',
  },
  BATON_DEV_IDP_PORT: {
    schema: port.optional(),
    description: 'Port of the development identity provider. Defaults to PORT + 1.',
  },
  BATON_SESSION_IDLE_MINUTES: {
    schema: positiveInt('a number of minutes').default(1440),
    description: 'A browser session ends after this many minutes without a request.',
  },
  BATON_SESSION_MAX_DAYS: {
    schema: positiveInt('a number of days').default(14),
    description: 'A browser session ends this many days after login, active or not.',
  },
  BATON_RATE_LIMIT_AUTH_PER_MINUTE: {
    schema: positiveInt('a number of requests').default(30),
    description: 'Requests per minute one client address may make to /auth/* before getting 429.',
  },
  BATON_RATE_LIMIT_TOKEN_PER_MINUTE: {
    schema: positiveInt('a number of requests').default(600),
    description:
      'Requests per minute one API token may make before getting 429 ' +
      '(counted by the token, however the Authorization header is spelled).',
  },
  BATON_RATE_LIMIT_SESSION_PER_MINUTE: {
    schema: positiveInt('a number of requests').default(600),
    description: 'Requests per minute one browser session may make before getting 429.',
  },
  BATON_RATE_LIMIT_DEVICE_CODE_PER_MINUTE: {
    schema: positiveInt('a number of requests').default(20),
    description:
      'Requests per minute one client address may make to /v1/device/{code} (looking up, ' +
      'approving or denying a device sign-in) before getting 429, so user codes cannot be guessed.',
  },
  BATON_RATE_LIMIT_ANONYMOUS_PER_MINUTE: {
    schema: positiveInt('a number of requests').default(300),
    description:
      'Requests per minute one client address may make without a valid token or ' +
      'session (a refused credential counts here) before getting 429. Health probes, ' +
      'the realtime WebSocket, sandbox callbacks and signed webhooks are not counted.',
  },
  BATON_TRUST_PROXY: {
    schema: z
      .string()
      .refine(isTrustProxy, {
        error:
          'expected false, true, a number of proxy hops (e.g. 1), or a comma-separated ' +
          'list of proxy addresses or CIDR ranges (e.g. 10.0.0.0/8,127.0.0.1, or loopback)',
      })
      .default('false'),
    description:
      'Whether the client address (for rate limits and logs) comes from X-Forwarded-For: false ' +
      '(default: the connecting address); a whole number n, the number of proxies in front of ' +
      'Baton (the client is the nth address from the end of X-Forwarded-For; only when Baton is ' +
      'reachable through those proxies alone); true (trust every hop: the first address); or a ' +
      "comma-separated list of the proxies' addresses or CIDR ranges, also loopback, linklocal, " +
      'uniquelocal (trust hops from those alone: the safest). X-Forwarded-Proto and X-Forwarded-Host ' +
      'count only from a trusted proxy; cookies are Secure when BATON_PUBLIC_URL is https, ' +
      'whatever the request says. Node only: the Worker gets the address from Cloudflare.',
  },
  BATON_EGRESS_ALLOW: {
    schema: z
      .string()
      .refine((text) => parseEgressAllowList(text).invalid.length === 0, {
        error:
          'expected a comma-separated list of host names, addresses ' +
          'and CIDR ranges, e.g. hooks.internal,10.1.0.0/16,127.0.0.1',
      })
      .default(''),
    description:
      'Host names, addresses and CIDR ranges (comma-separated) that webhook steps may reach although ' +
      'they are loopback, private, link-local or cloud-metadata addresses, which are refused otherwise ' +
      '(checked after DNS resolution; docs/webhooks.md). Empty by default: only public addresses.',
  },
  BATON_REALTIME_COMMIT_MS: {
    schema: positiveInt('a duration in milliseconds')
      .max(50, 'expected at most 50 ms (the durability promise)')
      .default(10),
    description:
      'Group-commit window of the dashboard update log: an accepted ' +
      'edit is durable within this many milliseconds (at most 50).',
  },
  BATON_REALTIME_RECHECK_SECONDS: {
    schema: positiveInt('a number of seconds').default(60),
    description:
      'How often open live-dashboard connections are checked against current access again, ' +
      'whatever changed. On Node access changes also arrive at once (Postgres NOTIFY) and this is ' +
      'a safety net; in the Cloudflare Durable Object it is how a revoked member is disconnected.',
  },
  BATON_REALTIME_COMPACT_MS: {
    schema: positiveInt('a duration in milliseconds').default(2000),
    description:
      'A dashboard document is compacted into its snapshot this long after its ' +
      'last change (and at least every 10 times this while it keeps changing).',
  },
  BATON_REALTIME_MAX_MESSAGE_BYTES: {
    schema: positiveInt('a size in bytes').optional(),
    description:
      'Largest live-dashboard WebSocket message in bytes; a larger ' +
      'one closes its connection (1009). Defaults to BATON_BODY_LIMIT.',
  },
  BATON_REALTIME_MAX_AWARENESS_BYTES: {
    schema: positiveInt('a size in bytes').default(16_384),
    description:
      'Largest presence (awareness) state one live-dashboard client may publish, ' +
      'in bytes of its JSON; a larger state is dropped, never shown to others.',
  },
  BATON_REALTIME_MAX_DOCUMENT_BYTES: {
    schema: positiveInt('a size in bytes').default(16_777_216),
    description:
      'Largest dashboard document in bytes; an edit that would grow it past this ' +
      'is refused (a live client is disconnected with 4413, a REST write gets 409).',
  },
  REDIS_URL: {
    schema: z
      .url({ protocol: /^rediss?$/, error: 'expected a redis:// URL such as redis://localhost:6379' })
      .optional(),
    description:
      'When set, several Baton instances share live dashboards through Redis (Hocuspocus Redis ' +
      'extension), and rate limits are counted in Redis. Unset, rate limits are counted in ' +
      'Postgres (shared by every instance all the same); leave it unset for a single instance.',
  },
  BATON_SANDBOX_PROVIDER: {
    schema: z.enum(['local', 'http', 'fly'], { error: 'expected local, http or fly' }).default('local'),
    description:
      'Where sandboxes come from: local (a stand-in execution plane inside this process), http (any ' +
      'service implementing api/sandbox.openapi.yaml at BATON_SANDBOX_URL), or fly (Fly Machines).',
  },
  BATON_SANDBOX_URL: {
    schema: httpUrl.optional(),
    description:
      "With BATON_SANDBOX_PROVIDER=http: the execution plane's base URL (e.g. the one `npm run sandbox:local` prints).",
  },
  BATON_SANDBOX_TOKEN: {
    schema: z.string().min(1).optional(),
    description:
      'Bearer token Baton presents to the execution plane and its sandboxes (http provider; optional for local).',
  },
  BATON_SANDBOX_CALLBACK_URL: {
    schema: httpUrl.optional(),
    description:
      'The base URL sandboxes reach Baton at to report events (POST <it>/v1/sandbox-events). ' +
      'Defaults to BATON_PUBLIC_URL; set it when the execution plane reaches Baton by ' +
      'another address than users do (e.g. http://baton:8787 inside a compose network).',
  },
  BATON_TERMINAL_ORIGINS: {
    schema: z
      .string()
      .refine(isTerminalOrigins, {
        error:
          'expected a comma-separated list of ws:// or wss:// origins, a host may start ' +
          'with *. (e.g. wss://*.sandboxes.example.com,wss://plane.example.com:8443)',
      })
      .optional(),
    description:
      "Where the console may open terminal WebSockets (the sandboxes' attach URLs), added to its " +
      "Content-Security-Policy's connect-src: comma-separated ws:// or wss:// origins, a host " +
      "may start with *. (wss://*.fly.dev). The local and http providers' plane origin is allowed " +
      "without it. Node only: the Worker's console policy is the static web/public/_headers.",
  },
  BATON_ALLOW_STAND_IN_PLANE: {
    schema: z.enum(['true', 'false'], { error: 'expected true or false' }).default('false'),
    description:
      'In production, set to true to run agent steps on the scripted stand-in ' +
      'execution plane (BATON_SANDBOX_PROVIDER=local), which runs no real ' +
      'agent; production refuses it otherwise (docs/execution-plane.md).',
  },
  BATON_SANDBOX_MAX_PER_WORKSPACE: {
    schema: positiveInt('a number of sandboxes').default(10),
    description:
      'Live sandboxes one workspace may have at once; a terminal beyond it gets 429, a step waits ' +
      "in the workspace's queue (first come, first served) and starts as soon as a slot frees.",
  },
  BATON_SANDBOX_IDLE_MINUTES: {
    schema: positiveInt('a number of minutes').default(10),
    description:
      'A sandbox with no run in flight and no terminal viewer is stopped ' +
      'after this many minutes (it is recreated when work resumes).',
  },
  BATON_SANDBOX_MAX_LIFETIME_MINUTES: {
    schema: positiveInt('a number of minutes').default(480),
    description: 'A sandbox is stopped this many minutes after it started, once no run is in flight.',
  },
  BATON_SANDBOX_HEARTBEAT_SECONDS: {
    schema: positiveInt('a number of seconds').default(10),
    description:
      'How often sandboxes send heartbeats; a sandbox silent for ' +
      'BATON_SANDBOX_MISSED_HEARTBEATS of these is lost and its step moves to a new sandbox.',
  },
  BATON_SANDBOX_MISSED_HEARTBEATS: {
    schema: positiveInt('a number of heartbeats').default(3),
    description:
      'How many heartbeat intervals a sandbox may stay silent before it is lost: a silent sandbox is lost ' +
      'within BATON_SANDBOX_HEARTBEAT_SECONDS x this + BATON_REAPER_INTERVAL_SECONDS (35 s by default; one its ' +
      'provider says is gone, sooner); fewer notices sooner but loses sandboxes whose heartbeats are only late.',
  },
  BATON_SANDBOX_PROVISION_TIMEOUT_SECONDS: {
    schema: positiveInt('a number of seconds').default(120),
    description: 'How long creating a sandbox may take before it counts as failed.',
  },
  BATON_REAPER_INTERVAL_SECONDS: {
    schema: positiveInt('a number of seconds').default(5),
    description:
      'How often each instance checks sessions (idle, lifetime, lease) and quiet runs, and ' +
      'sweeps the sandbox slot queue (a safety net: a release hands its slot on at once).',
  },
  BATON_SIGNING_KEY_ROTATION_HOURS: {
    schema: positiveInt('a number of hours').default(24),
    description:
      'How long a key signs terminal tokens before a new one takes over ' +
      '(old keys stay in /.well-known/jwks.json until their tokens expired).',
  },
  BATON_FLY_API_TOKEN: {
    schema: z.string().min(1).optional(),
    description:
      'With BATON_SANDBOX_PROVIDER=fly: a Fly token that manages the ' +
      "sandbox app's machines (`fly tokens create deploy -a <app>`).",
  },
  BATON_FLY_APP: {
    schema: z.string().min(1).optional(),
    description:
      "With fly: the Fly app sandbox machines live in (use an app of their own: a machine's " +
      "environment, which holds its callback secret, is readable with that app's tokens).",
  },
  BATON_FLY_IMAGE: {
    schema: z.string().min(1).optional(),
    description:
      'With fly: the sandbox image, e.g. registry.fly.io/baton-sandbox:1.2.0; ' +
      'it serves the sandbox API of api/sandbox.openapi.yaml.',
  },
  BATON_FLY_API_URL: {
    schema: httpUrl.default('https://api.machines.dev'),
    description: "With fly: the Machines API (http://_api.internal:4280 from inside Fly's private network).",
  },
  BATON_FLY_REGION: {
    schema: z.string().min(1).optional(),
    description: 'With fly: region of new machines; Fly chooses when unset.',
  },
  BATON_SCHEDULE_MISFIRE_SECONDS: {
    schema: positiveInt('a number of seconds').default(60),
    description:
      "A schedule's fire handled later than this after its time counts as " +
      "missed (Baton was down), and follows the schedule's catch-up policy.",
  },
  BATON_FLY_SANDBOX_PORT: {
    schema: port.default(8080),
    description: "With fly: the port the sandbox image serves its API on (reached over Fly's private network).",
  },
  BATON_GITHUB_API_URL: {
    schema: httpUrl.default('https://api.github.com'),
    description:
      "GitHub's REST API: set it for GitHub Enterprise Server (https://<host>/api/v3). " +
      'Each workspace connects its own GitHub App (docs/integrations.md).',
  },
  BATON_GOOGLE_CLIENT_ID: {
    schema: z.string().min(1).optional(),
    description:
      "Baton's Google OAuth client id (a Web application client whose redirect " +
      'URI is BATON_PUBLIC_URL + /v1/integrations/google-drive/callback). Set ' +
      'with BATON_GOOGLE_CLIENT_SECRET to let workspaces connect Google Drive.',
  },
  BATON_GOOGLE_CLIENT_SECRET: {
    schema: z.string().min(1).optional(),
    description: "The Google OAuth client's secret.",
  },
  BATON_GOOGLE_BASE_URL: {
    schema: httpUrl.optional(),
    description:
      "For tests and private deployments: one base URL that serves Google's " +
      'OAuth endpoints (/o/oauth2/v2/auth, /token, /revoke) and the ' +
      "Drive API, instead of Google's own hosts. Leave unset for Google.",
  },
  BATON_CREDENTIAL_KEYS: {
    schema: z.string().optional(),
    description:
      'Keys that encrypt stored integration secrets: comma-separated <id>:<base64 of 32 ' +
      'random bytes> (`openssl rand -base64 32`). The first seals new secrets; the others ' +
      'still open what they sealed until `npm run baton -- rotate-credentials` re-wraps it ' +
      'under the first. Required in production; elsewhere, when unset, Baton generates one ' +
      'key and keeps it in BATON_DATA_DIR/credential-keys (mode 0600), reused on later starts.',
  },
  BATON_RETENTION_EXECUTION_DAYS: {
    schema: retentionDays.default(90),
    description:
      "Days a finished execution's detail is kept after it finished: its step-by-step " +
      'history, sandbox runs and their events, artifacts and ended sandbox session (the ' +
      'execution itself stays, see BATON_RETENTION_EXECUTION_RECORD_DAYS). 0 or forever ' +
      'keeps it. Nothing of an unfinished execution is pruned (docs/retention.md).',
  },
  BATON_RETENTION_EXECUTION_RECORD_DAYS: {
    schema: retentionDays.default(null),
    description:
      'Days a finished execution itself (status, steps, outputs) is kept after it ' +
      'finished, with whatever is left of its detail. 0 or forever (the default) keeps it.',
  },
  BATON_RETENTION_EVENT_DAYS: {
    schema: retentionDays.default(30),
    description:
      'Days sandbox events and heartbeats, schedule fires, trigger payloads (webhook deliveries and what ' +
      'each trigger did with them), ended browser sessions, expired logins and device sign-ins, and ' +
      'expired signing keys are kept. 0 or forever keeps them. What an unfinished execution needs stays.',
  },
  BATON_RETENTION_AUDIT_DAYS: {
    schema: retentionDays.default(365),
    description:
      'Days audit log entries are kept, and API tokens after they expired or ' +
      'were revoked (so entries keep naming their token). 0 or forever keeps them.',
  },
  BATON_RETENTION_INTERVAL_MINUTES: {
    schema: positiveInt('a number of minutes').default(60),
    description:
      'How often old rows are pruned: one pass per interval across all ' +
      'instances (whichever gets there first; the Worker from its cron tick).',
  },
  BATON_RETENTION_BATCH_SIZE: {
    schema: positiveInt('a number of rows').default(1000),
    description:
      'Rows deleted per statement while pruning, with a short ' +
      'pause between statements, so no table is locked for long.',
  },
  BATON_METRICS_TOKEN: {
    schema: z.string().min(16, 'expected at least 16 characters, e.g. from `openssl rand -hex 32`').optional(),
    description:
      'Bearer token Prometheus presents to GET /metrics (Authorization: Bearer <token>). Without ' +
      'it and without BATON_METRICS_PORT, /metrics answers 404. Node only (docs/metrics.md).',
  },
  BATON_METRICS_PORT: {
    schema: port.optional(),
    description:
      'Serve GET /metrics on this port of HOST, apart from the API (keep it private; with BATON_METRICS_TOKEN ' +
      'it also needs the token there). When set, the API port does not serve /metrics. Node only.',
  },
} satisfies Record<string, Variable>;

/** Names of the variables Baton reads. */
export type ConfigVariable = keyof typeof configVariables;

/** The resolved, validated, frozen configuration. */
export interface Config {
  readonly env: Environment;
  readonly http: {
    readonly host: string;
    readonly port: number;
    readonly bodyLimit: number;
    readonly publicUrl: string;
  };
  readonly database: { readonly url: string | undefined; readonly poolMax: number };
  readonly dataDir: string;
  readonly log: { readonly level: (typeof logLevels)[number]; readonly format: 'json' | 'pretty' };
  readonly shutdownTimeoutMs: number;
  readonly identity: {
    /** The external OIDC provider, when configured. */
    readonly oidc: { readonly issuer: string; readonly clientId: string; readonly clientSecret: string } | undefined;
    /** The built-in development identity provider, when enabled (never in production). */
    readonly devIdp: { readonly port: number } | undefined;
    readonly sessionIdleMinutes: number;
    readonly sessionMaxDays: number;
  };
  readonly rateLimits: {
    readonly authPerMinute: number;
    readonly tokenPerMinute: number;
    readonly sessionPerMinute: number;
    readonly anonymousPerMinute: number;
    readonly deviceCodePerMinute: number;
  };
  /** BATON_EGRESS_ALLOW: entries (host names, addresses, CIDR ranges) to read with `parseEgressAllowList`. */
  readonly egress: { readonly allow: readonly string[] };
  /** BATON_TRUST_PROXY: false, true, a number of trusted proxy hops, or the trusted proxies' addresses. */
  readonly trustProxy: boolean | number | string;
  readonly realtime: {
    readonly commitWindowMs: number;
    readonly compactAfterMs: number;
    readonly recheckMs: number;
    readonly redisUrl: string | undefined;
    /** Size limits of live connections, in bytes (`docs/dashboard-document.md`, Limits). */
    readonly limits: { readonly messageBytes: number; readonly awarenessBytes: number; readonly documentBytes: number };
  };
  readonly sandboxes: {
    readonly provider:
      | { readonly kind: 'local'; readonly token: string | undefined }
      | { readonly kind: 'http'; readonly url: string; readonly token: string | undefined }
      | {
          readonly kind: 'fly';
          readonly apiUrl: string;
          readonly token: string;
          readonly app: string;
          readonly image: string;
          readonly region: string | undefined;
          readonly sandboxPort: number;
        };
    /** Where sandboxes send their events (BATON_SANDBOX_CALLBACK_URL or BATON_PUBLIC_URL, + /v1/sandbox-events). */
    readonly callbackUrl: string;
    /** BATON_TERMINAL_ORIGINS: ws(s) origins the console may attach terminals to (CSP connect-src). */
    readonly terminalOrigins: readonly string[];
    readonly maxPerWorkspace: number;
    readonly idleMs: number;
    readonly maxLifetimeMs: number;
    readonly heartbeatSeconds: number;
    /** How long a sandbox may stay silent before it is lost: heartbeat interval x missed heartbeats. */
    readonly leaseMs: number;
    readonly provisionTimeoutMs: number;
    readonly reaperIntervalMs: number;
    readonly signingKeyRotationMs: number;
  };
  readonly schedules: { readonly misfireMs: number };
  /** Outside services workspaces connect (docs/integrations.md). */
  readonly integrations: {
    readonly githubApiUrl: string;
    /** Google Drive; undefined when BATON_GOOGLE_CLIENT_ID is unset. */
    readonly google:
      { readonly clientId: string; readonly clientSecret: string; readonly baseUrl: string | undefined } | undefined;
  };
  /** BATON_CREDENTIAL_KEYS; undefined when unset (outside production the Node root then uses a generated key). */
  readonly credentials: { readonly keyring: Keyring | undefined };
  /** How long old rows are kept (docs/retention.md); days null = forever. */
  readonly retention: {
    readonly executionDays: number | null;
    readonly executionRecordDays: number | null;
    readonly eventDays: number | null;
    readonly auditDays: number | null;
    readonly intervalMs: number;
    readonly batchSize: number;
  };
  /** GET /metrics (docs/metrics.md): off when both are undefined; on its own port when `port` is set. */
  readonly metrics: { readonly token: string | undefined; readonly port: number | undefined };
}

/** One problem with one variable. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/** The configuration cannot be used; `problems` names each variable and what was expected. */
/** True for an http(s) URL on localhost or a *.localhost name (which browsers resolve to loopback). */
function isLocalhost(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host.endsWith('.localhost');
}

export class ConfigError extends Error {
  readonly code = 'invalid_config';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

const shape = Object.fromEntries(Object.entries(configVariables).map(([name, v]) => [name, v.schema])) as {
  [K in ConfigVariable]: (typeof configVariables)[K]['schema'];
};
const schema = z.object(shape);

/**
 * Resolves the configuration once from an environment record (process.env on Node, the Worker's
 * env bindings on Cloudflare). Empty strings count as unset. Throws ConfigError naming every bad
 * variable; never reads anything else.
 */
export function resolveConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const input: Record<string, string> = {};
  for (const name of Object.keys(configVariables)) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') input[name] = value.trim();
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? 'config');
        const got = input[variable];
        return {
          variable,
          message:
            got === undefined ? issue.message : `${issue.message} (got ${JSON.stringify(redact(variable, got))})`,
        };
      }),
    );
  }
  const v = parsed.data;
  const problems: ConfigProblem[] = [];
  if (v.BATON_ENV === 'production') {
    if (v.DATABASE_URL === undefined)
      problems.push({
        variable: 'DATABASE_URL',
        message: 'is required in production (the embedded database is for development only)',
      });
    if (v.BATON_PUBLIC_URL === undefined)
      problems.push({
        variable: 'BATON_PUBLIC_URL',
        message: 'is required in production (e.g. https://baton.example.com)',
      });
  }
  const oidcSet = [v.OIDC_ISSUER, v.OIDC_CLIENT_ID, v.OIDC_CLIENT_SECRET].filter((x) => x !== undefined).length;
  if (oidcSet > 0 && oidcSet < 3) {
    for (const name of ['OIDC_ISSUER', 'OIDC_CLIENT_ID', 'OIDC_CLIENT_SECRET'] as const) {
      if (v[name] === undefined)
        problems.push({
          variable: name,
          message: 'is required when any of OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET is set',
        });
    }
  }
  if (v.BATON_ENV === 'production' && v.BATON_DEV_IDP === 'true') {
    problems.push({
      variable: 'BATON_DEV_IDP',
      message: 'the development identity provider lets anyone sign in as anyone and cannot be enabled in production',
    });
  }
  // http is only safe when the provider is on this machine (the demo provider of deploy/docker).
  if (v.BATON_ENV === 'production' && v.OIDC_ISSUER?.startsWith('http:') === true && !isLocalhost(v.OIDC_ISSUER)) {
    problems.push({
      variable: 'OIDC_ISSUER',
      message: 'must be https in production (http only for localhost or *.localhost)',
    });
  }
  if (v.BATON_ENV === 'production' && v.BATON_SANDBOX_PROVIDER === 'local' && v.BATON_ALLOW_STAND_IN_PLANE !== 'true') {
    problems.push({
      variable: 'BATON_SANDBOX_PROVIDER',
      message:
        'is local (the default): the scripted stand-in execution plane, which runs no real ' +
        'agent. In production set http (BATON_SANDBOX_URL, BATON_SANDBOX_TOKEN) or fly, or ' +
        'BATON_ALLOW_STAND_IN_PLANE=true to use the stand-in anyway (docs/execution-plane.md)',
    });
  }
  if (v.BATON_SANDBOX_PROVIDER === 'http' && v.BATON_SANDBOX_URL === undefined)
    problems.push({ variable: 'BATON_SANDBOX_URL', message: 'is required when BATON_SANDBOX_PROVIDER is http' });
  if (v.BATON_SANDBOX_PROVIDER === 'fly') {
    for (const name of ['BATON_FLY_API_TOKEN', 'BATON_FLY_APP', 'BATON_FLY_IMAGE'] as const)
      if (v[name] === undefined)
        problems.push({ variable: name, message: 'is required when BATON_SANDBOX_PROVIDER is fly' });
  }
  let keyring: Keyring | undefined;
  if (v.BATON_CREDENTIAL_KEYS !== undefined) {
    const parsedKeys = parseCredentialKeys(v.BATON_CREDENTIAL_KEYS);
    if ('problems' in parsedKeys)
      problems.push(...parsedKeys.problems.map((message) => ({ variable: 'BATON_CREDENTIAL_KEYS', message })));
    else keyring = parsedKeys.keyring;
  } else if (v.BATON_ENV === 'production') {
    problems.push({
      variable: 'BATON_CREDENTIAL_KEYS',
      message:
        'is required in production: <id>:<base64 of 32 random bytes>, ' +
        'e.g. key-1:$(openssl rand -base64 32); see docs/credentials.md',
    });
  }
  if ((v.BATON_GOOGLE_CLIENT_ID === undefined) !== (v.BATON_GOOGLE_CLIENT_SECRET === undefined)) {
    for (const name of ['BATON_GOOGLE_CLIENT_ID', 'BATON_GOOGLE_CLIENT_SECRET'] as const)
      if (v[name] === undefined)
        problems.push({
          variable: name,
          message: 'is required when either of BATON_GOOGLE_CLIENT_ID, BATON_GOOGLE_CLIENT_SECRET is set',
        });
  }
  if (v.BATON_ENV === 'production' && v.BATON_GOOGLE_BASE_URL?.startsWith('http:') === true)
    problems.push({ variable: 'BATON_GOOGLE_BASE_URL', message: 'must be https in production' });
  if (v.BATON_METRICS_PORT !== undefined && v.BATON_METRICS_PORT === v.PORT)
    problems.push({
      variable: 'BATON_METRICS_PORT',
      message: 'must differ from PORT (the metrics get a listener of their own)',
    });
  if (problems.length > 0) throw new ConfigError(problems);
  const devIdpEnabled =
    v.BATON_DEV_IDP === undefined
      ? v.BATON_ENV === 'development' && v.OIDC_ISSUER === undefined
      : v.BATON_DEV_IDP === 'true';

  const publicUrl = (v.BATON_PUBLIC_URL ?? defaultPublicUrl(v.HOST, v.PORT)).replace(/\/+$/, '');
  return deepFreeze({
    env: v.BATON_ENV,
    http: { host: v.HOST, port: v.PORT, bodyLimit: v.BATON_BODY_LIMIT, publicUrl },
    database: { url: v.DATABASE_URL, poolMax: v.DATABASE_POOL_MAX },
    dataDir: v.BATON_DATA_DIR,
    log: { level: v.LOG_LEVEL, format: v.BATON_LOG_FORMAT ?? (v.BATON_ENV === 'development' ? 'pretty' : 'json') },
    shutdownTimeoutMs: v.BATON_SHUTDOWN_TIMEOUT_MS,
    identity: {
      oidc:
        v.OIDC_ISSUER !== undefined && v.OIDC_CLIENT_ID !== undefined && v.OIDC_CLIENT_SECRET !== undefined
          ? { issuer: v.OIDC_ISSUER, clientId: v.OIDC_CLIENT_ID, clientSecret: v.OIDC_CLIENT_SECRET }
          : undefined,
      devIdp: devIdpEnabled ? { port: v.BATON_DEV_IDP_PORT ?? (v.PORT === 65535 ? 65534 : v.PORT + 1) } : undefined,
      sessionIdleMinutes: v.BATON_SESSION_IDLE_MINUTES,
      sessionMaxDays: v.BATON_SESSION_MAX_DAYS,
    },
    rateLimits: {
      authPerMinute: v.BATON_RATE_LIMIT_AUTH_PER_MINUTE,
      tokenPerMinute: v.BATON_RATE_LIMIT_TOKEN_PER_MINUTE,
      sessionPerMinute: v.BATON_RATE_LIMIT_SESSION_PER_MINUTE,
      anonymousPerMinute: v.BATON_RATE_LIMIT_ANONYMOUS_PER_MINUTE,
      deviceCodePerMinute: v.BATON_RATE_LIMIT_DEVICE_CODE_PER_MINUTE,
    },
    egress: {
      allow: v.BATON_EGRESS_ALLOW.split(',')
        .map((e) => e.trim())
        .filter((e) => e !== ''),
    },
    trustProxy:
      v.BATON_TRUST_PROXY === 'true'
        ? true
        : v.BATON_TRUST_PROXY === 'false' || v.BATON_TRUST_PROXY === '0'
          ? false
          : /^\d+$/.test(v.BATON_TRUST_PROXY)
            ? Number(v.BATON_TRUST_PROXY)
            : v.BATON_TRUST_PROXY.replace(/\s+/g, ''),
    realtime: {
      commitWindowMs: v.BATON_REALTIME_COMMIT_MS,
      compactAfterMs: v.BATON_REALTIME_COMPACT_MS,
      recheckMs: v.BATON_REALTIME_RECHECK_SECONDS * 1000,
      redisUrl: v.REDIS_URL,
      limits: {
        messageBytes: v.BATON_REALTIME_MAX_MESSAGE_BYTES ?? v.BATON_BODY_LIMIT,
        awarenessBytes: v.BATON_REALTIME_MAX_AWARENESS_BYTES,
        documentBytes: v.BATON_REALTIME_MAX_DOCUMENT_BYTES,
      },
    },
    sandboxes: {
      callbackUrl: `${(v.BATON_SANDBOX_CALLBACK_URL ?? publicUrl).replace(/\/+$/, '')}/v1/sandbox-events`,
      terminalOrigins: splitOrigins(v.BATON_TERMINAL_ORIGINS),
      provider:
        v.BATON_SANDBOX_PROVIDER === 'http'
          ? {
              kind: 'http' as const,
              url: (v.BATON_SANDBOX_URL ?? '').replace(/\/+$/, ''),
              token: v.BATON_SANDBOX_TOKEN,
            }
          : v.BATON_SANDBOX_PROVIDER === 'fly'
            ? {
                kind: 'fly' as const,
                apiUrl: v.BATON_FLY_API_URL,
                token: v.BATON_FLY_API_TOKEN ?? '',
                app: v.BATON_FLY_APP ?? '',
                image: v.BATON_FLY_IMAGE ?? '',
                region: v.BATON_FLY_REGION,
                sandboxPort: v.BATON_FLY_SANDBOX_PORT,
              }
            : { kind: 'local' as const, token: v.BATON_SANDBOX_TOKEN },
      maxPerWorkspace: v.BATON_SANDBOX_MAX_PER_WORKSPACE,
      idleMs: v.BATON_SANDBOX_IDLE_MINUTES * 60_000,
      maxLifetimeMs: v.BATON_SANDBOX_MAX_LIFETIME_MINUTES * 60_000,
      heartbeatSeconds: v.BATON_SANDBOX_HEARTBEAT_SECONDS,
      leaseMs: v.BATON_SANDBOX_HEARTBEAT_SECONDS * v.BATON_SANDBOX_MISSED_HEARTBEATS * 1000,
      provisionTimeoutMs: v.BATON_SANDBOX_PROVISION_TIMEOUT_SECONDS * 1000,
      reaperIntervalMs: v.BATON_REAPER_INTERVAL_SECONDS * 1000,
      signingKeyRotationMs: v.BATON_SIGNING_KEY_ROTATION_HOURS * 3_600_000,
    },
    schedules: { misfireMs: v.BATON_SCHEDULE_MISFIRE_SECONDS * 1000 },
    integrations: {
      githubApiUrl: v.BATON_GITHUB_API_URL.replace(/\/+$/, ''),
      google:
        v.BATON_GOOGLE_CLIENT_ID !== undefined && v.BATON_GOOGLE_CLIENT_SECRET !== undefined
          ? {
              clientId: v.BATON_GOOGLE_CLIENT_ID,
              clientSecret: v.BATON_GOOGLE_CLIENT_SECRET,
              baseUrl: v.BATON_GOOGLE_BASE_URL?.replace(/\/+$/, ''),
            }
          : undefined,
    },
    credentials: { keyring },
    retention: {
      executionDays: v.BATON_RETENTION_EXECUTION_DAYS,
      executionRecordDays: v.BATON_RETENTION_EXECUTION_RECORD_DAYS,
      eventDays: v.BATON_RETENTION_EVENT_DAYS,
      auditDays: v.BATON_RETENTION_AUDIT_DAYS,
      intervalMs: v.BATON_RETENTION_INTERVAL_MINUTES * 60_000,
      batchSize: v.BATON_RETENTION_BATCH_SIZE,
    },
    metrics: { token: v.BATON_METRICS_TOKEN, port: v.BATON_METRICS_PORT },
  });
}

// A CSP host-source for a socket: scheme, host (optionally *.-prefixed), optional port;
// nothing that could end the directive.
const terminalOrigin = /^wss?:\/\/(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:(\d{1,5}|\*))?$/;

function splitOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
}

function isTerminalOrigins(value: string): boolean {
  return splitOrigins(value).every((origin) => terminalOrigin.test(origin));
}

const keyIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * Parses the BATON_CREDENTIAL_KEYS format, `<id>:<base64 of 32 bytes>[,<id>:<base64>…]`, first entry
 * current (also the format of the generated development key file). Problems name the entry's
 * position and, once it is valid, its id; never the key.
 */
export function parseCredentialKeys(text: string): { keyring: Keyring } | { problems: string[] } {
  const problems: string[] = [];
  const keys = new Map<string, Uint8Array>();
  const positions = new Map<string, number>();
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    const n = index + 1;
    const colon = entry.indexOf(':');
    if (entry === '')
      return void problems.push(`entry ${n} is empty (expected <id>:<base64 key>, entries separated by commas)`);
    if (colon < 0)
      return void problems.push(
        `entry ${n} has no "<id>:" in front of its key (expected <id>:<base64 of 32 random bytes>)`,
      );
    const id = entry.slice(0, colon).trim();
    if (!keyIdPattern.test(id))
      return void problems.push(`entry ${n}: a key id is 1 to 64 letters, digits, ".", "_" or "-"`);
    const earlier = positions.get(id);
    if (earlier !== undefined)
      return void problems.push(`entry ${n}: key id "${id}" is already used by entry ${earlier}`);
    positions.set(id, n);
    const bytes = decodeKey(entry.slice(colon + 1).trim());
    if (bytes === undefined)
      return void problems.push(
        `entry ${n} (key "${id}"): the key is not base64 (generate one with \`openssl rand -base64 32\`)`,
      );
    if (bytes.byteLength !== 32)
      return void problems.push(
        `entry ${n} (key "${id}"): expected 32 bytes of key, got ` +
          `${bytes.byteLength} (generate one with \`openssl rand -base64 32\`)`,
      );
    keys.set(id, bytes);
  });
  const current = entries[0]?.slice(0, entries[0].indexOf(':')).trim() ?? '';
  return problems.length > 0 ? { problems } : { keyring: { current, keys } };
}

/** Standard or URL-safe base64, padding optional; undefined when it is neither. */
function decodeKey(text: string): Uint8Array | undefined {
  return text === '' ? undefined : decodeBase64(text.replaceAll('-', '+').replaceAll('_', '/'));
}

/** Keeps passwords in URLs, secrets and key material out of error messages. */
function redact(variable: string, value: string): string {
  if (variable.endsWith('_SECRET') || variable.endsWith('_TOKEN') || variable.endsWith('_KEYS')) return '***';
  if (variable.endsWith('_URL')) return value.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
  return value;
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  return Object.freeze(value);
}
