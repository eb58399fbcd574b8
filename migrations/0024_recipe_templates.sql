-- Recipe templates and archived recipes (docs/templates.md).
--
-- Templates shipped with Baton live in the code (src/app/orchestrator/templates/); a workspace's own
-- templates are recipes published with declared parameters and live here. `source` is the recipe as
-- it was published (parsed, with its `{{parameter}}` placeholders); `parameters` their declarations.
-- A template does not follow its recipe afterwards: publishing again makes another template, and
-- deleting the recipe leaves the template (recipe_id becomes null).

CREATE TABLE recipe_templates (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text NOT NULL DEFAULT '',
  parameters jsonb NOT NULL,
  source jsonb NOT NULL,
  recipe_id uuid REFERENCES recipes (id) ON DELETE SET NULL,
  recipe_version integer,
  created_by uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipe_templates_by_workspace ON recipe_templates (workspace_id, created_at);
CREATE INDEX recipe_templates_by_recipe ON recipe_templates (recipe_id);

-- An archived recipe is hidden from the recipe list (unless asked for) and starts no new executions;
-- those already running continue. Restoring clears it.
ALTER TABLE recipes ADD COLUMN archived_at timestamptz;
