import type { Principal } from '../../domain/access/principal.ts';
import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import type { Recipe } from '../../ports/recipes.ts';
import { auditBy } from '../access.ts';
import type { AppContext } from '../context.ts';
import { requireRecipe } from './recipes.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'recipes' | 'audit' | 'unitOfWork' | 'clock'>;

/** Starting an archived recipe: a 409 whose details name the recipe's state. */
export class RecipeArchivedError extends ConflictError {
  constructor(recipe: Recipe) {
    super(`The recipe "${recipe.name}" is archived; restore it first (POST /v1/recipes/${recipe.id}/restore)`, {
      details: { recipeId: recipe.id, state: 'archived', archivedAt: recipe.archivedAt?.toISOString() ?? null },
    });
  }
}

/** Throws `RecipeArchivedError` for an archived recipe: it starts no new executions (those running go on). */
export function refuseArchived(recipe: Recipe): void {
  if (recipe.archivedAt !== null) throw new RecipeArchivedError(recipe);
}

/**
 * Archives a recipe (members who manage recipes): hidden from the list unless asked for, and no
 * new executions (by hand, schedule or trigger); running ones continue. Archiving an archived
 * recipe changes nothing.
 */
export async function archiveRecipe(
  ctx: Ctx,
  principal: Principal,
  recipeId: string,
  requestId: string,
): Promise<Recipe> {
  return setArchived(ctx, principal, recipeId, true, requestId);
}

/** Restores an archived recipe; restoring one that is not archived changes nothing. */
export async function restoreRecipe(
  ctx: Ctx,
  principal: Principal,
  recipeId: string,
  requestId: string,
): Promise<Recipe> {
  return setArchived(ctx, principal, recipeId, false, requestId);
}

async function setArchived(
  ctx: Ctx,
  principal: Principal,
  recipeId: string,
  archive: boolean,
  requestId: string,
): Promise<Recipe> {
  const recipe = await requireRecipe(ctx, principal, recipeId, 'recipe.manage');
  if ((recipe.archivedAt !== null) === archive) return recipe;
  return ctx.unitOfWork.run(async (tx) => {
    const changed = await ctx.recipes.setArchived(recipeId, archive ? ctx.clock.now() : null, tx);
    if (changed === undefined) throw new NotFoundError('Recipe');
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: archive ? 'recipe.archived' : 'recipe.restored',
        workspaceId: recipe.workspaceId,
        targetType: 'recipe',
        targetId: recipeId,
        details: { name: recipe.name },
      }),
      tx,
    );
    return changed;
  });
}
