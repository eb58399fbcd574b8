-- The orchestrator: recipes with immutable versions, agent profiles, executions and their history.

CREATE TABLE recipes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  latest_version integer NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipes_by_workspace ON recipes (workspace_id, created_at);

-- A version never changes once written; executions pin the version they started with.
CREATE TABLE recipe_versions (
  recipe_id uuid NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
  version integer NOT NULL,
  source jsonb NOT NULL,
  compiled jsonb NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (recipe_id, version)
);

CREATE TABLE agent_profiles (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  profile jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (workspace_id, name)
);

CREATE TABLE executions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  dashboard_id uuid NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  recipe_id uuid NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
  status text NOT NULL,
  state jsonb NOT NULL,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz
);
CREATE INDEX executions_by_dashboard ON executions (dashboard_id, created_at);
CREATE INDEX executions_by_recipe ON executions (recipe_id, created_at);

-- The append-only history: replaying it through the decider rebuilds `executions.state`.
CREATE TABLE execution_events (
  execution_id uuid NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  seq integer NOT NULL,
  type text NOT NULL,
  event jsonb NOT NULL,
  actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (execution_id, seq)
);
