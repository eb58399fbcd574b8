-- Steps waiting for a sandbox slot, first come first served per workspace: a run whose workspace is
-- at its limit (BATON_SANDBOX_MAX_PER_WORKSPACE) waits here, in `seq` order, with the request that
-- starts it once its session is granted a slot. A session's place is its earliest row. A row is
-- deleted only after its run was started, so an instance that dies while starting the head of the
-- queue loses nothing: the next release or the reaper's sweep starts it again (runs are idempotent
-- by key).
CREATE TABLE sandbox_slot_waiters (
  run_key text PRIMARY KEY,
  seq bigserial NOT NULL,
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  execution_id uuid NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
  request jsonb NOT NULL,
  waiting_since timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_slot_waiters_queue ON sandbox_slot_waiters (workspace_id, seq);
CREATE INDEX sandbox_slot_waiters_session ON sandbox_slot_waiters (session_id, seq);
CREATE INDEX sandbox_slot_waiters_execution ON sandbox_slot_waiters (execution_id);
