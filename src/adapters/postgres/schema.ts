import type { ColumnType, Generated } from 'kysely';

/** Tables as kysely sees them; one interface per table, columns as Postgres returns them. */
export interface DatabaseSchema {
  installation: InstallationTable;
  users: UsersTable;
  auth_sessions: AuthSessionsTable;
  login_attempts: LoginAttemptsTable;
  workspaces: WorkspacesTable;
  workspace_members: WorkspaceMembersTable;
  dashboards: DashboardsTable;
  dashboard_members: DashboardMembersTable;
  api_tokens: ApiTokensTable;
  audit_log: AuditLogTable;
  dashboard_docs: DashboardDocsTable;
  dashboard_updates: DashboardUpdatesTable;
  dashboard_items: DashboardItemsTable;
  recipes: RecipesTable;
  recipe_versions: RecipeVersionsTable;
  recipe_templates: RecipeTemplatesTable;
  agent_profiles: AgentProfilesTable;
  agent_profile_versions: AgentProfileVersionsTable;
  executions: ExecutionsTable;
  execution_events: ExecutionEventsTable;
  job_outbox: JobOutboxTable;
  sessions: SessionsTable;
  sandbox_runs: SandboxRunsTable;
  sandbox_events: SandboxEventsTable;
  artifacts: ArtifactsTable;
  signing_keys: SigningKeysTable;
  schedules: SchedulesTable;
  schedule_fires: ScheduleFiresTable;
  triggers: TriggersTable;
  inbound_events: InboundEventsTable;
  trigger_firings: TriggerFiringsTable;
  credentials: CredentialsTable;
  credential_keys: CredentialKeysTable;
  integrations: IntegrationsTable;
  run_credentials: RunCredentialsTable;
  live_connections: LiveConnectionsTable;
  device_authorizations: DeviceAuthorizationsTable;
}

/** A timestamp column Postgres fills on insert. */
type CreatedAt = ColumnType<Date, Date | undefined, never>;

export interface InstallationTable {
  id: Generated<string>;
  singleton: Generated<boolean>;
  created_at: ColumnType<Date, never, never>;
}

export interface UsersTable {
  id: Generated<string>;
  issuer: string;
  subject: string;
  email: string | null;
  name: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface AuthSessionsTable {
  id: Generated<string>;
  secret_hash: Uint8Array;
  user_id: string;
  created_at: CreatedAt;
  last_seen_at: ColumnType<Date, Date | undefined, Date>;
  idle_expires_at: Date;
  absolute_expires_at: Date;
  revoked_at: Date | null;
  user_agent: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface LoginAttemptsTable {
  state_hash: Uint8Array;
  code_verifier: string;
  nonce: string;
  return_to: string;
  created_at: CreatedAt;
  expires_at: Date;
  consumed_at: Date | null;
}

export interface WorkspacesTable {
  id: Generated<string>;
  name: string;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface WorkspaceMembersTable {
  workspace_id: string;
  user_id: string;
  role: 'admin' | 'member';
  created_at: CreatedAt;
}

export interface DashboardsTable {
  id: Generated<string>;
  workspace_id: string;
  name: string;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  archived_at: Date | null;
}

export interface DashboardMembersTable {
  dashboard_id: string;
  user_id: string;
  role: 'owner' | 'editor' | 'viewer';
  created_at: CreatedAt;
}

export interface ApiTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  prefix: string;
  secret_hash: Uint8Array;
  scopes: string[];
  dashboard_id: string | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  created_at: CreatedAt;
  revoked_at: Date | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  workspace_id: string | null;
  actor_user_id: string | null;
  actor_token_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, never>;
  request_id: string | null;
  created_at: CreatedAt;
}

export interface DashboardDocsTable {
  dashboard_id: string;
  /** Which of the dashboard's documents (migration 0026): its own, or its server-written state document. */
  part: ColumnType<'dashboard' | 'state', 'dashboard' | 'state' | undefined, never>;
  state: Uint8Array;
  state_vector: Uint8Array;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface DashboardUpdatesTable {
  /** bigserial; the pg type parser returns int8 as a number. */
  seq: ColumnType<number, never, never>;
  dashboard_id: string;
  /** Which of the dashboard's documents the update is of (see `DashboardDocsTable.part`). */
  part: ColumnType<'dashboard' | 'state', 'dashboard' | 'state' | undefined, never>;
  update: Uint8Array;
  created_at: CreatedAt;
}

export interface DashboardItemsTable {
  dashboard_id: string;
  item_id: string;
  kind: string;
  item: ColumnType<Record<string, unknown>, string, string>;
  updated_at: Date;
}

/** A jsonb column: objects in, objects out (written as JSON text). */
type Json<T> = ColumnType<T, string, string>;
/** A sealed secret as a jsonb column holds it: `{ keyId, wrappedKey, iv, ciphertext }`. */
export interface SealedJson {
  readonly keyId: string;
  readonly wrappedKey: string;
  readonly iv: string;
  readonly ciphertext: string;
}

export interface RecipesTable {
  id: Generated<string>;
  workspace_id: string;
  name: string;
  latest_version: number;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  archived_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

/** A workspace's recipe templates (migration 0024). */
export interface RecipeTemplatesTable {
  id: Generated<string>;
  workspace_id: string;
  name: string;
  description: string;
  parameters: Json<unknown>;
  source: Json<unknown>;
  recipe_id: string | null;
  recipe_version: number | null;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface RecipeVersionsTable {
  recipe_id: string;
  version: number;
  source: Json<unknown>;
  compiled: Json<unknown>;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface AgentProfilesTable {
  id: Generated<string>;
  workspace_id: string;
  name: string;
  profile: Json<Record<string, unknown>>;
  /** The current version (migration 0025). */
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

/** Every version of a profile's spec, immutable (docs/sub-agents.md). */
export interface AgentProfileVersionsTable {
  profile_id: string;
  version: number;
  profile: Json<Record<string, unknown>>;
  created_by: string | null;
  created_at: CreatedAt;
}

export interface ExecutionsTable {
  id: Generated<string>;
  workspace_id: string;
  dashboard_id: string;
  recipe_id: string;
  status: string;
  state: Json<unknown>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  finished_at: Date | null;
  /** What it came to, once finished (migration 0022); null while it runs or when there is none. */
  summary: ColumnType<string | null, string | null | undefined, string | null>;
  /** What started it (migration 0021): person, schedule, trigger or parent. */
  origin: ColumnType<string, string | undefined, string>;
  /** The schedule, trigger or parent execution that started it; null for a person. */
  origin_id: string | null;
  /** A child execution: the step attempt that started it, `<parent>/<step>/<attempt>` (migration 0027, unique). */
  parent_key: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ExecutionEventsTable {
  execution_id: string;
  seq: number;
  type: string;
  event: Json<unknown>;
  actor_user_id: string | null;
  created_at: CreatedAt;
}

export interface JobOutboxTable {
  id: Generated<string>;
  topic: string;
  data: Json<unknown>;
  start_after: Date | null;
  created_at: CreatedAt;
  cancel_key: string | null;
}

export interface SessionsTable {
  id: Generated<string>;
  workspace_id: string;
  dashboard_id: string;
  execution_id: string | null;
  purpose: string;
  status: string;
  epoch: Generated<number>;
  sandbox_id: string | null;
  sandbox_url: string | null;
  /** The region the provider reported for this epoch's sandbox (migration 0023); null when unknown. */
  region: string | null;
  /** In clear only in rows an older Baton wrote, until they are sealed (migration 0013). */
  callback_secret: ColumnType<string | null, string | null | undefined, string | null>;
  /** The callback secret sealed with the credential keys (a SealedSecret), AAD `sessions.callback_secret:<id>`. */
  callback_secret_sealed: ColumnType<SealedJson | null, string | null | undefined, string | null>;
  lease_expires_at: Date | null;
  last_active_at: Generated<Date>;
  epoch_started_at: Date | null;
  ready_at: Date | null;
  ended_at: Date | null;
  ended_reason: string | null;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface SandboxRunsTable {
  run_key: string;
  session_id: string;
  epoch: number;
  execution_id: string;
  step_id: string;
  attempt: number;
  status: string;
  progress: Json<unknown> | null;
  cost_usd: Generated<number>;
  max_cost_usd: number | null;
  output: Json<unknown> | null;
  error: string | null;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Generated<Date>;
  created_at: CreatedAt;
}

export interface SandboxEventsTable {
  id: string;
  session_id: string;
  epoch: number;
  type: string;
  run_key: string | null;
  data: Json<unknown>;
  /** The event's place in its run (1, 2, …); null for heartbeats and sandboxes that do not say. */
  seq: Generated<number | null>;
  received_at: CreatedAt;
}

export interface ArtifactsTable {
  run_key: string;
  artifact_id: string;
  execution_id: string;
  step_id: string;
  kind: string;
  title: string;
  url: string | null;
  content: string | null;
  created_at: CreatedAt;
  /** Baton's id of the artifact (migration 0022). */
  id: Generated<string>;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  public_jwk: Json<unknown>;
  /** In clear only in rows an older Baton wrote, until they are sealed (migration 0013). */
  private_jwk: ColumnType<unknown, string | null | undefined, string | null>;
  /** The private JWK (as JSON text) sealed with the credential keys, AAD `signing_keys.private_jwk:<kid>`. */
  private_jwk_sealed: ColumnType<SealedJson | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
  expires_at: Date;
}

export interface SchedulesTable {
  id: string;
  workspace_id: string;
  dashboard_id: string;
  recipe_id: string;
  name: string;
  inputs: Json<Record<string, unknown>>;
  cron: string;
  timezone: string;
  overlap: string;
  catch_up: string;
  catch_up_limit: number;
  paused: boolean;
  end_at: Date | null;
  cursor: Date;
  timer_id: string | null;
  last_execution_id: string | null;
  queued_fire_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: Generated<Date>;
}

export interface ScheduleFiresTable {
  schedule_id: string;
  fire_at: Date;
  outcome: string;
  execution_id: string | null;
  reason: string | null;
  handled_at: Date;
}

export interface TriggersTable {
  id: Generated<string>;
  workspace_id: string;
  name: string;
  source: string;
  event: string | null;
  filter: string | null;
  enabled: boolean;
  action: string;
  recipe_id: string | null;
  dashboard_id: string | null;
  inputs: Json<Record<string, string>>;
  wake_event: string | null;
  /** In clear only in rows an older Baton wrote, until they are sealed (migration 0013). */
  secret: ColumnType<string | null, string | null | undefined, string | null>;
  /**
   * A generic webhook's HMAC key sealed with the credential keys, AAD `triggers.secret:<id>`; null for GitHub triggers.
   */
  secret_sealed: ColumnType<SealedJson | null, string | null | undefined, string | null>;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface InboundEventsTable {
  id: Generated<string>;
  /** An identity column; the pg type parser returns int8 as a number. */
  seq: ColumnType<number, never, never>;
  source: string;
  trigger_id: string | null;
  delivery_id: string;
  name: string;
  payload: Json<Record<string, unknown>>;
  received_at: ColumnType<Date, Date | undefined, never>;
  workspace_id: ColumnType<string | null, string | null | undefined, never>;
}

export interface TriggerFiringsTable {
  trigger_id: string;
  event_id: string;
  outcome: string;
  execution_id: string | null;
  woke: number | null;
  reason: string | null;
  handled_at: ColumnType<Date, Date | undefined, never>;
}

export interface CredentialsTable {
  id: string;
  workspace_id: string | null;
  purpose: string;
  key_id: string;
  wrapped_key: string;
  iv: string;
  ciphertext: string;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface CredentialKeysTable {
  key_id: string;
  check_value: string;
  created_at: CreatedAt;
}

export interface IntegrationsTable {
  id: Generated<string>;
  workspace_id: string;
  provider: string;
  status: string;
  name: string;
  external_id: string | null;
  details: Json<Record<string, unknown>>;
  secret_id: string | null;
  oauth_state: string | null;
  oauth_expires_at: Date | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}

export interface RunCredentialsTable {
  run_key: string;
  integration_id: string | null;
  credential_id: string;
  expires_at: Date;
  created_at: CreatedAt;
}

export interface LiveConnectionsTable {
  dashboard_id: string;
  connection_id: string;
  user_id: string;
  token_id: string | null;
  session_id: string | null;
  opened_at: CreatedAt;
}

export interface DeviceAuthorizationsTable {
  id: Generated<string>;
  device_code_hash: Uint8Array;
  user_code_hash: Uint8Array;
  client_id: string;
  client_name: string | null;
  scopes: string[];
  status: ColumnType<string, string | undefined, string>;
  interval_seconds: number;
  last_polled_at: Date | null;
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  approved_scopes: string[] | null;
  token_id: string | null;
}
