-- Sub-recipes (docs/orchestrator.md, "Sub-recipes"): a recipe step starts a child execution, with
-- origin = 'parent' and origin_id = the parent execution. `parent_key` is the step attempt that
-- started it, `<parent execution>/<step>/<attempt>`: unique, so a start job delivered again (after a
-- crash, or twice) finds the child it started instead of starting a second one. Null for executions
-- nobody's step started.
ALTER TABLE executions ADD COLUMN parent_key text;
CREATE UNIQUE INDEX executions_by_parent_key ON executions (parent_key) WHERE parent_key IS NOT NULL;
