-- The region a session's sandbox runs in, as its provider reported it when the sandbox was created
-- (Fly: the machine's region; the local plane: "local"); null while provisioning, or when the
-- provider does not say. A new epoch starts without one (its sandbox may land elsewhere).
ALTER TABLE sessions ADD COLUMN region text;
