import { sql } from 'kysely';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import type { Recipe, RecipeStore, RecipeVersion } from '../../ports/recipes.ts';
import type { Database } from './database.ts';
import { executor, inTransaction } from './executor.ts';

type RecipeRow = {
  id: string;
  workspace_id: string;
  name: string;
  latest_version: number;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
};
type VersionRow = {
  recipe_id: string;
  version: number;
  source: unknown;
  compiled: unknown;
  created_by: string | null;
  created_at: Date;
};

const toRecipe = (r: RecipeRow): Recipe => ({
  id: r.id,
  workspaceId: r.workspace_id,
  name: r.name,
  latestVersion: r.latest_version,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  archivedAt: r.archived_at,
});
const toVersion = (r: VersionRow): RecipeVersion => ({
  recipeId: r.recipe_id,
  version: r.version,
  source: r.source,
  compiled: r.compiled as CompiledRecipe,
  createdBy: r.created_by,
  createdAt: r.created_at,
});
const recipeColumns = [
  'id',
  'workspace_id',
  'name',
  'latest_version',
  'created_at',
  'updated_at',
  'archived_at',
] as const;
const versionColumns = ['recipe_id', 'version', 'source', 'compiled', 'created_by', 'created_at'] as const;

/** Recipes and their immutable versions in Postgres. */
export function createRecipeStore(db: Database): RecipeStore {
  return {
    create(input, tx) {
      return inTransaction(db, tx, async (q) => {
        const recipe = await q
          .insertInto('recipes')
          .values({ workspace_id: input.workspaceId, name: input.name, latest_version: 1, created_by: input.createdBy })
          .returning(recipeColumns)
          .executeTakeFirstOrThrow();
        const version = await q
          .insertInto('recipe_versions')
          .values({
            recipe_id: recipe.id,
            version: 1,
            source: JSON.stringify(input.source),
            compiled: JSON.stringify(input.compiled),
            created_by: input.createdBy,
          })
          .returning(versionColumns)
          .executeTakeFirstOrThrow();
        return { recipe: toRecipe(recipe), version: toVersion(version) };
      });
    },
    addVersion(recipeId, input, tx) {
      return inTransaction(db, tx, async (q) => {
        // Row lock: concurrent PUTs get consecutive versions, never the same one.
        const bumped = await q
          .updateTable('recipes')
          .set({ latest_version: sql`latest_version + 1`, name: input.name, updated_at: new Date() })
          .where('id', '=', recipeId)
          .returning('latest_version')
          .executeTakeFirstOrThrow();
        const version = await q
          .insertInto('recipe_versions')
          .values({
            recipe_id: recipeId,
            version: bumped.latest_version,
            source: JSON.stringify(input.source),
            compiled: JSON.stringify(input.compiled),
            created_by: input.createdBy,
          })
          .returning(versionColumns)
          .executeTakeFirstOrThrow();
        return toVersion(version);
      });
    },
    async get(id, tx) {
      const row = await executor(db, tx)
        .selectFrom('recipes')
        .select(recipeColumns)
        .where('id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecipe(row);
    },
    async list(workspaceId, filter = {}) {
      const archived = filter.archived === true;
      return (
        await db
          .selectFrom('recipes')
          .select(recipeColumns)
          .where('workspace_id', '=', workspaceId)
          .where('archived_at', archived ? 'is not' : 'is', null)
          .orderBy('created_at')
          .orderBy('id')
          .execute()
      ).map(toRecipe);
    },
    async setArchived(id, archivedAt, tx) {
      const row = await executor(db, tx)
        .updateTable('recipes')
        .set({ archived_at: archivedAt, updated_at: new Date() })
        .where('id', '=', id)
        .returning(recipeColumns)
        .executeTakeFirst();
      return row === undefined ? undefined : toRecipe(row);
    },
    async version(recipeId, version, tx) {
      const row = await executor(db, tx)
        .selectFrom('recipe_versions')
        .select(versionColumns)
        .where('recipe_id', '=', recipeId)
        .where('version', '=', version)
        .executeTakeFirst();
      return row === undefined ? undefined : toVersion(row);
    },
    async versions(recipeId) {
      return (
        await db
          .selectFrom('recipe_versions')
          .select(versionColumns)
          .where('recipe_id', '=', recipeId)
          .orderBy('version', 'desc')
          .execute()
      ).map(toVersion);
    },
  };
}
