-- Idempotency keys of POST routes that start work (`Idempotency-Key` header, today
-- POST /v1/recipes/{id}/executions): the first successful answer to a caller's key, stored in the
-- same transaction as the work it started, so a retry after a lost answer or a 503 gets that answer
-- again instead of starting the work twice. A key is remembered for 24 hours; an older row is
-- replaced by the next use of its key and pruned as keys are used.
CREATE TABLE idempotency_keys (
  caller_id uuid NOT NULL,
  operation text NOT NULL,
  key text NOT NULL,
  -- SHA-256 of the request (its path parameters and body): the same key with another request is refused.
  fingerprint text NOT NULL,
  status integer NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (caller_id, operation, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
