-- The outbox keeps delayed jobs until they are almost due (the relay moves only those due within a
-- few seconds), so a job made redundant before then can be withdrawn by its cancel key: the backup
-- job of a dispatch that the fast path started costs one delete instead of a queue round trip.
ALTER TABLE job_outbox ADD COLUMN cancel_key text;
CREATE INDEX job_outbox_cancel ON job_outbox (cancel_key) WHERE cancel_key IS NOT NULL;
CREATE INDEX job_outbox_due ON job_outbox (start_after);
