import type { CompiledRecipe } from '../domain/orchestrator/recipe.ts';
import type { Transaction } from './unit-of-work.ts';

/** A recipe: a name in a workspace and its latest version number. */
export interface Recipe {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly latestVersion: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  /** Set while archived: hidden from the list unless asked for, starts no new executions; restorable. */
  readonly archivedAt: Date | null;
}

/** One immutable version of a recipe: what the author wrote and what it compiled to. */
export interface RecipeVersion {
  readonly recipeId: string;
  readonly version: number;
  readonly source: unknown;
  readonly compiled: CompiledRecipe;
  readonly createdBy: string | null;
  readonly createdAt: Date;
}

/** Recipes and their versions. */
export interface RecipeStore {
  /** Creates a recipe with its first version. */
  create(
    recipe: { workspaceId: string; name: string; source: unknown; compiled: CompiledRecipe; createdBy: string },
    tx?: Transaction,
  ): Promise<{ recipe: Recipe; version: RecipeVersion }>;
  /** Adds the next version (latest + 1) under a row lock; versions are never changed. */
  addVersion(
    recipeId: string,
    version: { name: string; source: unknown; compiled: CompiledRecipe; createdBy: string },
    tx?: Transaction,
  ): Promise<RecipeVersion>;
  /** The recipe, or undefined. */
  get(id: string, tx?: Transaction): Promise<Recipe | undefined>;
  /** Recipes of a workspace, oldest first: those not archived, or with `archived: true` the archived ones. */
  list(workspaceId: string, filter?: { archived?: boolean }): Promise<Recipe[]>;
  /** Archives (a time) or restores (null) a recipe; the recipe as it is now, or undefined when gone. */
  setArchived(id: string, archivedAt: Date | null, tx?: Transaction): Promise<Recipe | undefined>;
  /** One version, or undefined. */
  version(recipeId: string, version: number, tx?: Transaction): Promise<RecipeVersion | undefined>;
  /** Every version, newest first. */
  versions(recipeId: string): Promise<RecipeVersion[]>;
}
