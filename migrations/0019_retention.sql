-- Retention (docs/retention.md): old rows are pruned in small batches by one instance at a time.

-- The pass's lease and progress, one row. An instance runs a pass only when it can take the lease
-- (`held_until` passed) and the last pass started at least an interval ago, so a fleet prunes once
-- per interval whichever instance (or Worker cron tick) gets there first; a crashed pass frees it
-- when its lease runs out. `executions_done_*` is how far, in (finished_at, id) order, the detail of
-- finished executions has been pruned: a pass starts there instead of walking every old execution
-- again. An execution that runs again and finishes later gets a later finished_at, so it comes up again.
CREATE TABLE retention_lease (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  holder text,
  started_at timestamptz,
  held_until timestamptz,
  finished_at timestamptz,
  executions_done_at timestamptz,
  executions_done_id uuid
);
INSERT INTO retention_lease DEFAULT VALUES;

-- Finding what is old, without reading whole tables.
CREATE INDEX executions_by_finished_at ON executions (finished_at, id) WHERE finished_at IS NOT NULL;
CREATE INDEX sandbox_events_by_received_at ON sandbox_events (received_at);
CREATE INDEX schedule_fires_by_handled_at ON schedule_fires (handled_at);
CREATE INDEX inbound_events_by_received_at ON inbound_events (received_at);
CREATE INDEX audit_log_by_created_at ON audit_log (created_at);

-- Deleting a row runs its foreign keys' actions on the rows that point at it (cascade, set null):
-- without these, each deleted execution, session or token would scan the referencing table.
CREATE INDEX sandbox_runs_by_execution ON sandbox_runs (execution_id);
CREATE INDEX sandbox_runs_by_session ON sandbox_runs (session_id);
CREATE INDEX sandbox_events_by_session ON sandbox_events (session_id);
CREATE INDEX sessions_by_execution ON sessions (execution_id) WHERE execution_id IS NOT NULL;
CREATE INDEX schedule_fires_by_execution ON schedule_fires (execution_id) WHERE execution_id IS NOT NULL;
CREATE INDEX trigger_firings_by_execution ON trigger_firings (execution_id) WHERE execution_id IS NOT NULL;
CREATE INDEX schedules_by_any_last_execution ON schedules (last_execution_id) WHERE last_execution_id IS NOT NULL;
CREATE INDEX audit_log_by_token ON audit_log (actor_token_id) WHERE actor_token_id IS NOT NULL;
