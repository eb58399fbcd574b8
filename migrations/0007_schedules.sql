-- Schedules: a recipe started on a cron in an IANA time zone. `cursor` is the latest fire time
-- handled (every fire up to it has a row in schedule_fires); `timer_id` names the one durable timer
-- (a delayed job) that may fire it: a job carrying another id is stale and does nothing.
CREATE TABLE schedules (
  id uuid PRIMARY KEY,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  dashboard_id uuid NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  recipe_id uuid NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
  name text NOT NULL,
  inputs jsonb NOT NULL DEFAULT '{}',
  cron text NOT NULL,
  timezone text NOT NULL,
  overlap text NOT NULL,
  catch_up text NOT NULL,
  catch_up_limit integer NOT NULL,
  paused boolean NOT NULL DEFAULT false,
  end_at timestamptz,
  cursor timestamptz NOT NULL,
  timer_id uuid,
  last_execution_id uuid REFERENCES executions (id) ON DELETE SET NULL,
  queued_fire_at timestamptz,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_by_workspace ON schedules (workspace_id, created_at);
CREATE INDEX schedules_by_last_execution ON schedules (last_execution_id) WHERE queued_fire_at IS NOT NULL;

-- One row per fire time, whatever happened: the primary key is the fire's unique key
-- (schedule/<id>/<fire time>), so a fire starts at most one execution however many instances run.
CREATE TABLE schedule_fires (
  schedule_id uuid NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  fire_at timestamptz NOT NULL,
  outcome text NOT NULL,
  execution_id uuid REFERENCES executions (id) ON DELETE SET NULL,
  reason text,
  handled_at timestamptz NOT NULL,
  PRIMARY KEY (schedule_id, fire_at)
);
