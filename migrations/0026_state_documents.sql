-- Each dashboard has two documents (docs/dashboard-document.md): the dashboard document its members
-- edit (named by the dashboard id) and its state document (`<id>/state`), where the server mirrors
-- executions, approvals, sessions, progress and artifacts and which clients can only read. Both are
-- stored alike (a compacted snapshot plus the group-committed update log); `part` says whose a row is.
-- A column rather than twin tables: one group commit still writes both documents' rows in one
-- statement, loading and compaction stay one code path, and deleting a dashboard cascades to both.
-- Rows written before this migration are the dashboard document's (the default).
ALTER TABLE dashboard_docs ADD COLUMN part text NOT NULL DEFAULT 'dashboard' CHECK (part IN ('dashboard', 'state'));
ALTER TABLE dashboard_docs DROP CONSTRAINT dashboard_docs_pkey;
ALTER TABLE dashboard_docs ADD PRIMARY KEY (dashboard_id, part);

ALTER TABLE dashboard_updates ADD COLUMN part text NOT NULL DEFAULT 'dashboard' CHECK (part IN ('dashboard', 'state'));
DROP INDEX dashboard_updates_by_dashboard;
CREATE INDEX dashboard_updates_by_document ON dashboard_updates (dashboard_id, part, seq);
