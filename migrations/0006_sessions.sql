-- Sessions: one sandbox slot per execution (or per dashboard, for its terminal), re-provisioned with a
-- higher epoch when its sandbox is replaced; runs dispatched to sandboxes; callbacks received; artifacts;
-- and the keys Baton signs terminal tokens with.

CREATE TABLE sessions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  dashboard_id uuid NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  execution_id uuid REFERENCES executions (id) ON DELETE CASCADE,
  purpose text NOT NULL CHECK (purpose IN ('execution', 'terminal')),
  status text NOT NULL,
  epoch integer NOT NULL DEFAULT 0,
  sandbox_id text,
  sandbox_url text,
  callback_secret text NOT NULL,
  lease_expires_at timestamptz,
  last_active_at timestamptz NOT NULL DEFAULT now(),
  epoch_started_at timestamptz,
  ready_at timestamptz,
  ended_at timestamptz,
  ended_reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX sessions_one_per_execution ON sessions (execution_id) WHERE purpose = 'execution';
CREATE UNIQUE INDEX sessions_one_terminal_per_dashboard ON sessions (dashboard_id) WHERE purpose = 'terminal';
CREATE INDEX sessions_live ON sessions (workspace_id) WHERE status IN ('requested', 'provisioning', 'ready', 'idle', 'stopping');
CREATE INDEX sessions_by_dashboard ON sessions (dashboard_id, created_at);

CREATE TABLE sandbox_runs (
  run_key text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  epoch integer NOT NULL,
  execution_id uuid NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  step_id text NOT NULL,
  attempt integer NOT NULL,
  status text NOT NULL,
  progress jsonb,
  cost_usd double precision NOT NULL DEFAULT 0,
  max_cost_usd double precision,
  output jsonb,
  error text,
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_runs_in_flight ON sandbox_runs (session_id) WHERE status IN ('dispatched', 'running');

-- Every accepted callback, by its id: a repeated id is a duplicate delivery.
CREATE TABLE sandbox_events (
  id text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  epoch integer NOT NULL,
  type text NOT NULL,
  run_key text,
  data jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_events_by_run ON sandbox_events (run_key, received_at);

CREATE TABLE artifacts (
  run_key text NOT NULL,
  artifact_id text NOT NULL,
  execution_id uuid NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  step_id text NOT NULL,
  kind text NOT NULL,
  title text NOT NULL,
  url text,
  content text,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_key, artifact_id)
);
CREATE INDEX artifacts_by_execution ON artifacts (execution_id, created_at);

-- Keys for the tokens Baton signs (terminal attach). Published at /.well-known/jwks.json until they expire.
CREATE TABLE signing_keys (
  kid text PRIMARY KEY,
  alg text NOT NULL,
  public_jwk jsonb NOT NULL,
  private_jwk jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
