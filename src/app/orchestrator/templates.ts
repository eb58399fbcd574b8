import type { Principal } from '../../domain/access/principal.ts';
import type { z } from 'zod';
import { ConflictError, InvalidInputError, NotFoundError } from '../../domain/errors.ts';
import { auditBy, requireWorkspace } from '../access.ts';
import type { AppContext } from '../context.ts';
import { requireRecipe } from './recipes.ts';
import { shippedTemplates } from './templates/catalogue.ts';
import { findTemplate, shippedView, workspaceView, type TemplateView } from './templates/find-template.ts';
import {
  declarationIssues,
  declareParameters,
  maxTemplateParameters,
  type parameterDeclaration,
} from './templates/parameters.ts';

export type { TemplateView } from './templates/find-template.ts';

type Ctx = Pick<AppContext, 'workspaces' | 'dashboards' | 'recipes' | 'recipeTemplates' | 'audit' | 'unitOfWork'>;

/** The templates a workspace can use: those shipped with Baton, then its own (oldest first). */
export async function listTemplates(ctx: Ctx, principal: Principal, workspaceId: string): Promise<TemplateView[]> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read');
  return [...shippedTemplates.map(shippedView), ...(await ctx.recipeTemplates.list(workspaceId)).map(workspaceView)];
}

/** One template of (or for) a workspace. */
export async function getTemplate(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  templateId: string,
): Promise<TemplateView> {
  await requireWorkspace(ctx, principal, workspaceId, 'workspace.read');
  return findTemplate(ctx, workspaceId, templateId);
}

/** What publishing a recipe as a template takes. */
export interface PublishInput {
  readonly name?: string | undefined;
  readonly description: string;
  readonly parameters: ReadonlyArray<z.infer<typeof parameterDeclaration>>;
}

/**
 * Publishes a recipe's latest version as a workspace template with declared parameters. Each
 * `{{name}}` in the recipe must be declared and each declared parameter used (a 400 naming
 * `parameters`); the template keeps that version, whatever happens to the recipe later.
 */
export async function publishTemplate(
  ctx: Ctx,
  principal: Principal,
  recipeId: string,
  input: PublishInput,
  requestId: string,
): Promise<TemplateView> {
  const recipe = await requireRecipe(ctx, principal, recipeId, 'recipe.manage');
  const version = await ctx.recipes.version(recipeId, recipe.latestVersion);
  if (version === undefined) throw new ConflictError('The recipe has no versions');
  if (input.parameters.length > maxTemplateParameters)
    throw new InvalidInputError([
      {
        location: 'body',
        path: 'parameters',
        message: `a template may declare at most ${maxTemplateParameters} parameters`,
      },
    ]);
  const parameters = declareParameters(input.parameters);
  const issues = declarationIssues(version.source, parameters);
  if (issues.length > 0) throw new InvalidInputError(issues);
  return ctx.unitOfWork.run(async (tx) => {
    const made = await ctx.recipeTemplates.create(
      {
        workspaceId: recipe.workspaceId,
        name: input.name ?? recipe.name,
        description: input.description,
        parameters,
        source: version.source,
        recipeId,
        recipeVersion: version.version,
        createdBy: principal.userId,
      },
      tx,
    );
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'recipe.template_published',
        workspaceId: recipe.workspaceId,
        targetType: 'recipe_template',
        targetId: made.id,
        details: { recipeId, version: version.version, name: made.name },
      }),
      tx,
    );
    return workspaceView(made);
  });
}

/** Deletes a workspace template (recipes made from it stay); shipped templates cannot be deleted (409). */
export async function deleteTemplate(
  ctx: Ctx,
  principal: Principal,
  workspaceId: string,
  templateId: string,
  requestId: string,
): Promise<void> {
  await requireWorkspace(ctx, principal, workspaceId, 'recipe.manage');
  const template = await findTemplate(ctx, workspaceId, templateId);
  if (template.origin === 'shipped')
    throw new ConflictError('Templates shipped with Baton cannot be deleted', { details: { template: templateId } });
  await ctx.unitOfWork.run(async (tx) => {
    if (!(await ctx.recipeTemplates.delete(templateId, tx)))
      throw new NotFoundError('Template', { details: { template: templateId } });
    await ctx.audit.record(
      auditBy(principal, requestId, {
        action: 'recipe.template_deleted',
        workspaceId,
        targetType: 'recipe_template',
        targetId: templateId,
        details: { name: template.name },
      }),
      tx,
    );
  });
}
