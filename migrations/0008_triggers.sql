-- Event triggers: signed inbound webhooks (GitHub's, or a trigger's own generic one) become inbound
-- events; a job evaluates the triggers that may see each event and records what each one did.

CREATE TABLE triggers (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  source text NOT NULL CHECK (source IN ('github', 'webhook')),
  -- Only events of this name (e.g. `push`); null for any.
  event text,
  -- A CEL expression over `event`; null matches every event.
  filter text,
  enabled boolean NOT NULL DEFAULT true,
  action text NOT NULL CHECK (action IN ('start', 'wake')),
  recipe_id uuid REFERENCES recipes (id) ON DELETE CASCADE,
  dashboard_id uuid REFERENCES dashboards (id) ON DELETE CASCADE,
  -- Input name -> CEL expression over `event`.
  inputs jsonb NOT NULL DEFAULT '{}',
  wake_event text,
  -- The generic webhook's HMAC key (null for GitHub triggers). Kept in clear like session callback
  -- secrets: verifying an HMAC needs the key itself. Moves to encrypted integration storage later.
  secret text,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((action = 'start') = (recipe_id IS NOT NULL AND dashboard_id IS NOT NULL)),
  CHECK ((action = 'wake') = (wake_event IS NOT NULL)),
  CHECK ((source = 'webhook') = (secret IS NOT NULL))
);
CREATE INDEX triggers_by_workspace ON triggers (workspace_id, created_at);
CREATE INDEX triggers_github_enabled ON triggers (event) WHERE source = 'github' AND enabled;

-- Every accepted delivery. A delivery id is unique per source and trigger (GitHub deliveries have
-- no trigger): a replay finds the row and changes nothing. `seq` orders the lists.
CREATE TABLE inbound_events (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  source text NOT NULL CHECK (source IN ('github', 'webhook')),
  trigger_id uuid REFERENCES triggers (id) ON DELETE CASCADE,
  delivery_id text NOT NULL,
  name text NOT NULL,
  payload jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX inbound_events_delivery ON inbound_events (source, coalesce(trigger_id, '00000000-0000-0000-0000-000000000000'::uuid), delivery_id);
CREATE INDEX inbound_events_by_trigger ON inbound_events (trigger_id, seq) WHERE trigger_id IS NOT NULL;

-- What one trigger did with one event. The primary key makes it happen once: the row is written in
-- the transaction that starts the execution (or wakes the waits), so a repeated job finds it and stops.
CREATE TABLE trigger_firings (
  trigger_id uuid NOT NULL REFERENCES triggers (id) ON DELETE CASCADE,
  event_id uuid NOT NULL REFERENCES inbound_events (id) ON DELETE CASCADE,
  outcome text NOT NULL CHECK (outcome IN ('started', 'woke', 'skipped', 'refused', 'failed')),
  execution_id uuid REFERENCES executions (id) ON DELETE SET NULL,
  woke integer,
  reason text,
  handled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (trigger_id, event_id)
);
CREATE INDEX trigger_firings_by_event ON trigger_firings (event_id);

-- A wake looks for the unfinished executions of a workspace (the statuses an execution can still change in).
CREATE INDEX executions_unfinished_by_workspace ON executions (workspace_id) WHERE status IN ('running', 'waiting', 'paused');
