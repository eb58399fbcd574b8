-- Rate limits shared by every instance (when REDIS_URL is unset): one row per budget in use, its
-- count in the window that began with its first request. `bucket` is the SHA-256 (hex) of what the
-- budget belongs to (a token's id, a session's id, a client address): never a credential or an
-- address in the clear. Each limited request is one upsert on `bucket`; a window that has ended
-- starts again at 1 in that same statement, and rows idle for a whole window are deleted now and
-- then by the instance that notices.
--
-- UNLOGGED: counts are worth nothing after a crash or on a replica (the table then starts empty, and
-- at worst a client gets a fresh minute), and skipping the WAL keeps a request's write cheap.
-- fillfactor leaves room on each page so an update can stay on it (HOT): no index is touched.
CREATE UNLOGGED TABLE rate_limit_counts (
  bucket text PRIMARY KEY CHECK (bucket ~ '^[0-9a-f]{64}$'),
  window_start timestamptz NOT NULL,
  count integer NOT NULL
) WITH (fillfactor = 70);
