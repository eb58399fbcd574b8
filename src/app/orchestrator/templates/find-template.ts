import { parse as parseYaml } from 'yaml';
import { NotFoundError } from '../../../domain/errors.ts';
import type { TemplateParameter, WorkspaceTemplate } from '../../../ports/recipe-templates.ts';
import type { AppContext } from '../../context.ts';
import { shippedTemplate } from './catalogue.ts';
import { resolveValues, substitute } from './parameters.ts';
import type { ShippedTemplate } from './shipped-template.ts';

/** A template as the API shows it: shipped with Baton, or a workspace's own. */
export interface TemplateView {
  readonly id: string;
  readonly origin: 'shipped' | 'workspace';
  readonly name: string;
  readonly description: string;
  /** For shipped templates: how to start the recipe (its trigger or schedule); null otherwise. */
  readonly setup: string | null;
  readonly parameters: readonly TemplateParameter[];
  /** The recipe with its `{{name}}` placeholders, parsed. */
  readonly source: unknown;
  /** For shipped templates: the recipe as YAML text; null otherwise. */
  readonly yaml: string | null;
  readonly recipeId: string | null;
  readonly recipeVersion: number | null;
  readonly createdBy: string | null;
  readonly createdAt: Date | null;
}

/** Ids of workspace templates; shipped ones are slugs, never UUID-shaped. */
const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const shippedView = (t: ShippedTemplate): TemplateView => ({
  id: t.id,
  origin: 'shipped',
  name: t.name,
  description: t.description,
  setup: t.setup,
  parameters: t.parameters,
  source: parseYaml(t.yaml),
  yaml: t.yaml,
  recipeId: null,
  recipeVersion: null,
  createdBy: null,
  createdAt: null,
});
export const workspaceView = (t: WorkspaceTemplate): TemplateView => ({
  id: t.id,
  origin: 'workspace',
  name: t.name,
  description: t.description,
  setup: null,
  parameters: t.parameters,
  source: t.source,
  yaml: null,
  recipeId: t.recipeId,
  recipeVersion: t.recipeVersion,
  createdBy: t.createdBy,
  createdAt: t.createdAt,
});

/** A shipped template, or the workspace's own; 404 otherwise (also for another workspace's). */
export async function findTemplate(
  ctx: Pick<AppContext, 'recipeTemplates'>,
  workspaceId: string,
  templateId: string,
): Promise<TemplateView> {
  const shipped = shippedTemplate(templateId);
  if (shipped !== undefined) return shippedView(shipped);
  const own = uuidShape.test(templateId) ? await ctx.recipeTemplates.get(templateId) : undefined;
  if (own === undefined || own.workspaceId !== workspaceId)
    throw new NotFoundError('Template', { details: { template: templateId } });
  return workspaceView(own);
}

/**
 * The recipe a template gives with these parameter values (not yet validated as a recipe: the
 * caller parses it like any other). A missing, ill-typed or unknown parameter is a 400 naming
 * `parameters.<name>`; an unknown template a 404.
 */
export async function recipeFromTemplate(
  ctx: Pick<AppContext, 'recipeTemplates'>,
  workspaceId: string,
  templateId: string,
  given: Readonly<Record<string, unknown>>,
  name?: string,
): Promise<unknown> {
  const template = await findTemplate(ctx, workspaceId, templateId);
  const recipe = substitute(template.source, resolveValues(template.parameters, given));
  if (name === undefined || typeof recipe !== 'object' || recipe === null) return recipe;
  return { ...recipe, name };
}
