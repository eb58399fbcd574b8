-- The transactional outbox: jobs written in the same statement or transaction as the state change
-- that causes them, then moved to the job queue by a relay (pg-boss on Node, Queues on Cloudflare).
CREATE TABLE job_outbox (
  id bigserial PRIMARY KEY,
  topic text NOT NULL,
  data jsonb NOT NULL,
  start_after timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
