import type { Transaction } from './unit-of-work.ts';

/** What a template parameter's value must be. */
export type TemplateParameterType = 'string' | 'integer' | 'number' | 'boolean' | 'array';

/** One declared parameter of a recipe template; `{{name}}` marks where its value goes. */
export interface TemplateParameter {
  readonly name: string;
  readonly description: string;
  readonly type: TemplateParameterType;
  /** A value must be given when true (and there is no default). */
  readonly required: boolean;
  /** Used when no value is given; absent when there is none. */
  readonly default?: unknown;
}

/** A workspace's own template: a recipe published with declared parameters. */
export interface WorkspaceTemplate {
  readonly id: string;
  readonly workspaceId: string;
  readonly name: string;
  readonly description: string;
  readonly parameters: readonly TemplateParameter[];
  /** The recipe as published (parsed), with its `{{name}}` placeholders. */
  readonly source: unknown;
  /** The recipe and version it was published from; the recipe id is null once that recipe is deleted. */
  readonly recipeId: string | null;
  readonly recipeVersion: number | null;
  readonly createdBy: string | null;
  readonly createdAt: Date;
}

/** Workspace recipe templates (the shipped catalogue lives in the code). */
export interface RecipeTemplateStore {
  /** Stores a new template. */
  create(template: Omit<WorkspaceTemplate, 'id' | 'createdAt'>, tx?: Transaction): Promise<WorkspaceTemplate>;
  /** The template, or undefined. */
  get(id: string): Promise<WorkspaceTemplate | undefined>;
  /** A workspace's templates, oldest first. */
  list(workspaceId: string): Promise<WorkspaceTemplate[]>;
  /** Deletes a template; false when there was none. */
  delete(id: string, tx?: Transaction): Promise<boolean>;
}
