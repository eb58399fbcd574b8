-- A run's events carry their place in the run (1, 2, …; api/sandbox.openapi.yaml): Baton asks a
-- sandbox for the events after the ones it holds when their callbacks did not arrive. Heartbeats
-- and events of sandboxes from before have none.
ALTER TABLE sandbox_events ADD COLUMN seq integer;
CREATE INDEX sandbox_events_by_run_seq ON sandbox_events (run_key, seq) WHERE seq IS NOT NULL;
