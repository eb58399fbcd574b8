import type { RecipeTemplateStore, TemplateParameter, WorkspaceTemplate } from '../../ports/recipe-templates.ts';
import type { Database } from './database.ts';
import { executor } from './executor.ts';

type Row = {
  id: string;
  workspace_id: string;
  name: string;
  description: string;
  parameters: unknown;
  source: unknown;
  recipe_id: string | null;
  recipe_version: number | null;
  created_by: string | null;
  created_at: Date;
};
const columns = [
  'id',
  'workspace_id',
  'name',
  'description',
  'parameters',
  'source',
  'recipe_id',
  'recipe_version',
  'created_by',
  'created_at',
] as const;
const toTemplate = (r: Row): WorkspaceTemplate => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  description: r.description,
  parameters: r.parameters as TemplateParameter[],
  source: r.source,
  recipeId: r.recipe_id,
  recipeVersion: r.recipe_version,
  createdBy: r.created_by,
  createdAt: r.created_at,
});

/** A workspace's recipe templates in Postgres (`recipe_templates`, migration 0024). */
export function createRecipeTemplateStore(db: Database): RecipeTemplateStore {
  return {
    async create(input, tx) {
      const row = await executor(db, tx)
        .insertInto('recipe_templates')
        .values({
          workspace_id: input.workspaceId,
          name: input.name,
          description: input.description,
          parameters: JSON.stringify(input.parameters),
          source: JSON.stringify(input.source),
          recipe_id: input.recipeId,
          recipe_version: input.recipeVersion,
          created_by: input.createdBy,
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      return toTemplate(row);
    },
    async get(id) {
      const row = await db.selectFrom('recipe_templates').select(columns).where('id', '=', id).executeTakeFirst();
      return row === undefined ? undefined : toTemplate(row);
    },
    async list(workspaceId) {
      return (
        await db
          .selectFrom('recipe_templates')
          .select(columns)
          .where('workspace_id', '=', workspaceId)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      ).map(toTemplate);
    },
    async delete(id, tx) {
      return (
        (await executor(db, tx).deleteFrom('recipe_templates').where('id', '=', id).executeTakeFirst()).numDeletedRows >
        0n
      );
    },
  };
}
