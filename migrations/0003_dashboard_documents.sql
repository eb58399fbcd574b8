-- Dashboards as Yjs documents: a compacted snapshot, a durable update log, and a projection of items.

-- The snapshot: the whole document as one Yjs update, as of the log rows already folded into it.
CREATE TABLE dashboard_docs (
  dashboard_id uuid PRIMARY KEY REFERENCES dashboards (id) ON DELETE CASCADE,
  state bytea NOT NULL,
  state_vector bytea NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The durable update log: every update the server accepted, appended in group commits. Loading a
-- document applies the snapshot and then these rows; compaction folds rows into the snapshot and
-- deletes them. Yjs updates are idempotent, so a row applied twice does no harm.
CREATE TABLE dashboard_updates (
  seq bigserial PRIMARY KEY,
  dashboard_id uuid NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  update bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dashboard_updates_by_dashboard ON dashboard_updates (dashboard_id, seq);

-- The items of each document, for queries and REST reads; rewritten with each group commit.
CREATE TABLE dashboard_items (
  dashboard_id uuid NOT NULL REFERENCES dashboards (id) ON DELETE CASCADE,
  item_id text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('note', 'todo', 'link')),
  item jsonb NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (dashboard_id, item_id)
);
