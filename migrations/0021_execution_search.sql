-- Execution search (GET /v1/workspaces/{wid}/executions, GET /v1/dashboards/{id}/executions).

-- What started an execution. `created_by` alone cannot tell: a schedule's or trigger's execution is
-- created by the schedule's or trigger's owner. `origin_id` is the schedule, the trigger or the parent
-- execution (null for a person); no foreign key, as it points at one of three tables and an execution
-- keeps saying where it came from after its schedule or trigger is deleted.
ALTER TABLE executions
  ADD COLUMN origin text NOT NULL DEFAULT 'person' CHECK (origin IN ('person', 'schedule', 'trigger', 'parent')),
  ADD COLUMN origin_id uuid;

-- Executions started before this migration: their fire or firing row names the schedule or trigger.
UPDATE executions e SET origin = 'schedule', origin_id = f.schedule_id FROM schedule_fires f WHERE f.execution_id = e.id;
UPDATE executions e SET origin = 'trigger', origin_id = f.trigger_id FROM trigger_firings f WHERE f.execution_id = e.id;

-- Every page is newest first in (created_at, id) order, the cursor's order: each filter that narrows
-- the most has an index ending in (created_at, id), so the first page reads about `limit` index
-- entries (scanned backwards) instead of sorting the workspace. The old dashboard and recipe indexes
-- are prefixes of the new ones.
CREATE INDEX executions_search_by_workspace ON executions (workspace_id, created_at, id);
CREATE INDEX executions_search_by_status ON executions (workspace_id, status, created_at, id);
CREATE INDEX executions_search_by_dashboard ON executions (dashboard_id, created_at, id);
-- A member's search runs per dashboard (only those they belong to); with a status filter this one.
CREATE INDEX executions_search_by_dashboard_status ON executions (dashboard_id, status, created_at, id);
CREATE INDEX executions_search_by_recipe ON executions (recipe_id, created_at, id);
CREATE INDEX executions_search_by_origin ON executions (origin_id, created_at, id) WHERE origin_id IS NOT NULL;
-- Also what deleting a user needs (created_by is ON DELETE SET NULL).
CREATE INDEX executions_search_by_creator ON executions (created_by, created_at, id) WHERE created_by IS NOT NULL;
DROP INDEX executions_by_dashboard;
DROP INDEX executions_by_recipe;
