-- Who is connected to which dashboard, for runtimes whose realtime servers cannot hear Postgres
-- NOTIFY (a dashboard's Durable Object on Cloudflare): after an access change commits, the Worker
-- finds here the dashboards with a connection the change concerns and asks each object to check
-- its connections again. Rows come and go with connections; an object starting afresh deletes its
-- dashboard's rows first (a crashed object's rows are stale, and only one object serves a dashboard).
CREATE TABLE live_connections (
  dashboard_id uuid NOT NULL,
  connection_id text NOT NULL,
  user_id uuid NOT NULL,
  token_id uuid,
  session_id uuid,
  opened_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dashboard_id, connection_id)
);
CREATE INDEX live_connections_user ON live_connections (user_id);
CREATE INDEX live_connections_token ON live_connections (token_id) WHERE token_id IS NOT NULL;
CREATE INDEX live_connections_session ON live_connections (session_id) WHERE session_id IS NOT NULL;
