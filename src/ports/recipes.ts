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
  create(recipe: { workspaceId: string; name: string; source: unknown; compiled: CompiledRecipe; createdBy: string }, tx?: Transaction): Promise<{ recipe: Recipe; version: RecipeVersion }>;
  /** Adds the next version (latest + 1) under a row lock; versions are never changed. */
  addVersion(recipeId: string, version: { name: string; source: unknown; compiled: CompiledRecipe; createdBy: string }, tx?: Transaction): Promise<RecipeVersion>;
  /** The recipe, or undefined. */
  get(id: string, tx?: Transaction): Promise<Recipe | undefined>;
  /** Recipes of a workspace, oldest first. */
  list(workspaceId: string): Promise<Recipe[]>;
  /** One version, or undefined. */
  version(recipeId: string, version: number, tx?: Transaction): Promise<RecipeVersion | undefined>;
  /** Every version, newest first. */
  versions(recipeId: string): Promise<RecipeVersion[]>;
}
