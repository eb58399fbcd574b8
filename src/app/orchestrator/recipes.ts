import type { Principal } from '../../domain/access/principal.ts';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { parseEgressAllowList } from '../../domain/network/address-policy.ts';
import type { Recipe, RecipeVersion } from '../../ports/recipes.ts';
import { auditBy, hiddenAs, requireWorkspace } from '../access.ts';
import type { AppContext } from '../context.ts';
import { webhookUrlIssues } from '../webhooks/webhook-urls.ts';
import { parseRecipe } from './recipe-parse.ts';
import { checkSubAgentChoices } from './sub-agent-choices.ts';
import { resolveSubRecipes } from './sub-recipe-references.ts';
import { recipeFromTemplate } from './templates/find-template.ts';

type Ctx = Pick<
  AppContext,
  'workspaces' | 'dashboards' | 'recipes' | 'audit' | 'unitOfWork' | 'settings' | 'agentProfiles'
>;

/** What a recipe source may be: a JSON object, or JSON/YAML text. */
export interface RecipeInput {
  readonly recipe?: unknown;
  readonly yaml?: string;
}

/** A new recipe's source: as for a version, or a template (`docs/templates.md`) with parameter values. */
export interface NewRecipeInput extends RecipeInput {
  readonly template?: string | undefined;
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
  /** With a template: the recipe's name instead of the template's. */
  readonly name?: string | undefined;
}

/** A recipe with its latest version. */
export type RecipeView = Recipe & { readonly latest: RecipeVersion };

function parse(ctx: Ctx, input: RecipeInput) {
  const parsed = input.yaml !== undefined ? parseRecipe(input.yaml, 'yaml') : parseRecipe(input.recipe);
  const issues = webhookUrlIssues(parsed.authored, parseEgressAllowList(ctx.settings.egressAllow.join(',')).list);
  if (issues.length > 0) throw new InvalidInputError(issues);
  return parsed;
}

/**
 * Creates a recipe (version 1) in a workspace, from its source or from a template; any member with the write scope may.
 */
export async function createRecipe(
  ctx: Ctx & Pick<AppContext, 'recipeTemplates'>,
  principal: Principal,
  workspaceId: string,
  input: NewRecipeInput,
  requestId: string,
): Promise<RecipeView> {
  await requireWorkspace(ctx, principal, workspaceId, 'recipe.manage');
  const source =
    input.template === undefined
      ? input
      : { recipe: await recipeFromTemplate(ctx, workspaceId, input.template, input.parameters ?? {}, input.name) };
  const { authored, compiled: parsed } = parse(ctx, source);
  await checkSubAgentChoices(ctx, workspaceId, authored);
  const compiled = await resolveSubRecipes(ctx, workspaceId, authored, parsed, { id: null, name: parsed.name });
  return ctx.unitOfWork.run(async (tx) => {
    const made = await ctx.recipes.create(
      { workspaceId, name: compiled.name, source: authored, compiled, createdBy: principal.userId },
      tx,
    );
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'recipe.created',
        workspaceId,
        targetType: 'recipe',
        targetId: made.recipe.id,
        details: { name: compiled.name },
      }),
      tx,
    );
    return { ...made.recipe, latest: made.version };
  });
}

/**
 * Checks a recipe as creating it would (parse, sub-agents, sub-recipes), saving nothing: its name,
 * or the same 400 naming each problem's path. Any member may (`baton recipes validate`).
 */
export async function validateRecipe(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  input: RecipeInput,
): Promise<{ name: string }> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read');
  const { authored, compiled: parsed } = parse(ctx, input);
  await checkSubAgentChoices(ctx, workspaceId, authored);
  const compiled = await resolveSubRecipes(ctx, workspaceId, authored, parsed, { id: null, name: parsed.name });
  return { name: compiled.name };
}

/** Adds a version (versions are immutable; executions keep the one they started with). */
export async function updateRecipe(
  ctx: Ctx,
  principal: Principal,
  recipeId: string,
  input: RecipeInput,
  requestId: string,
): Promise<RecipeView> {
  const recipe = await requireRecipe(ctx, principal, recipeId, 'recipe.manage');
  const { authored, compiled: parsed } = parse(ctx, input);
  await checkSubAgentChoices(ctx, recipe.workspaceId, authored);
  const compiled = await resolveSubRecipes(ctx, recipe.workspaceId, authored, parsed, {
    id: recipeId,
    name: parsed.name,
  });
  return ctx.unitOfWork.run(async (tx) => {
    const version = await ctx.recipes.addVersion(
      recipeId,
      { name: compiled.name, source: authored, compiled, createdBy: principal.userId },
      tx,
    );
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'recipe.versioned',
        workspaceId: recipe.workspaceId,
        targetType: 'recipe',
        targetId: recipeId,
        details: { version: version.version },
      }),
      tx,
    );
    return { ...recipe, name: compiled.name, latestVersion: version.version, latest: version };
  });
}

/** A recipe with its latest version. */
export async function getRecipe(ctx: Ctx, principal: Principal, recipeId: string): Promise<RecipeView> {
  const recipe = await requireRecipe(ctx, principal, recipeId, 'workspace.read');
  const latest = await ctx.recipes.version(recipeId, recipe.latestVersion);
  if (latest === undefined) throw new ConflictError('The recipe has no versions');
  return { ...recipe, latest };
}

/** Every version of a recipe, newest first. */
export async function listRecipeVersions(ctx: Ctx, principal: Principal, recipeId: string): Promise<RecipeVersion[]> {
  await requireRecipe(ctx, principal, recipeId, 'workspace.read');
  return ctx.recipes.versions(recipeId);
}

/** The recipes of a workspace: those not archived, or with `archived` the archived ones. */
export async function listRecipes(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  filter: { archived?: boolean } = {},
): Promise<Recipe[]> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read');
  return ctx.recipes.list(workspaceId, filter);
}

/** Loads a recipe and checks an action in its workspace; hidden from outsiders. */
export async function requireRecipe(
  ctx: Pick<AppContext, 'workspaces' | 'dashboards' | 'recipes'>,
  principal: Principal,
  recipeId: string,
  action: 'workspace.read' | 'recipe.manage',
): Promise<Recipe> {
  const recipe = await ctx.recipes.get(recipeId);
  if (recipe === undefined) throw new NotFoundError('Recipe');
  await hiddenAs('Recipe', requireWorkspace(ctx, principal, recipe.workspaceId, action));
  return recipe;
}
