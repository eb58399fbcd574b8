import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { archiveRecipe, restoreRecipe } from '../../orchestrator/recipe-archive.ts';
import { deleteTemplate, getTemplate, listTemplates, publishTemplate } from '../../orchestrator/templates.ts';
import { maxTemplateParameters, parameterDeclaration } from '../../orchestrator/templates/parameters.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { recipeSchema } from './recipes.ts';
import { authErrors, id, name, timestamp } from './schemas.ts';
import { templateId } from './template-id.ts';

const parameterSchema = z
  .object({
    name: z.string(),
    description: z.string(),
    type: z.enum(['string', 'integer', 'number', 'boolean', 'array']),
    required: z.boolean(),
    default: z.unknown().optional(),
  })
  .meta({ id: 'TemplateParameter' });
const templateSchema = z
  .object({
    id: z.string(),
    origin: z.enum(['shipped', 'workspace']).describe('Shipped with Baton, or published in this workspace'),
    name: z.string(),
    description: z.string(),
    setup: z.string().nullable().describe('Shipped templates: the trigger or schedule that starts the recipe'),
    parameters: z.array(parameterSchema),
    source: z.unknown().describe('The recipe with its {{name}} placeholders'),
    yaml: z.string().nullable().describe('Shipped templates: the recipe as YAML text'),
    recipeId: id.nullable(),
    recipeVersion: z.number().int().nullable(),
    createdBy: id.nullable(),
    createdAt: timestamp.nullable(),
  })
  .meta({ id: 'RecipeTemplate' });
const publishBody = z.object({
  name: name.optional().describe("The template's name; the recipe's by default"),
  description: z.string().max(2_000).default(''),
  parameters: z
    .array(parameterDeclaration)
    .max(maxTemplateParameters, `a template may declare at most ${maxTemplateParameters} parameters`)
    .default([])
    .describe('One declaration per {{name}} placeholder in the recipe'),
});
const notFound = (what: string) => ({ 404: { description: `No such ${what} (or you may not see it)` } }) as const;

/** Recipe templates (shipped and the workspace's own) and archiving recipes. */
export function templateRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/templates',
      operationId: 'listTemplates',
      summary: "Recipe templates: those shipped with Baton, then the workspace's own",
      tags: ['templates'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'Templates', schema: z.object({ templates: z.array(templateSchema) }) },
        ...authErrors,
        ...notFound('workspace'),
      },
      handler: async (request) => ({
        status: 200,
        body: { templates: await listTemplates(app, callerOf(request), request.params.wid) },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/templates/{templateId}',
      operationId: 'getTemplate',
      summary: 'One recipe template',
      tags: ['templates'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id, templateId }) },
      responses: {
        200: { description: 'The template', schema: templateSchema },
        ...authErrors,
        ...notFound('workspace or template'),
      },
      handler: async (request) => ({
        status: 200,
        body: await getTemplate(app, callerOf(request), request.params.wid, request.params.templateId),
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/workspaces/{wid}/templates/{templateId}',
      operationId: 'deleteTemplate',
      summary: "Delete one of the workspace's templates (recipes made from it stay)",
      tags: ['templates'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ wid: id, templateId }) },
      responses: {
        204: { description: 'Deleted' },
        ...authErrors,
        ...notFound('workspace or template'),
        409: { description: 'A shipped template (they cannot be deleted)' },
      },
      handler: async (request) => {
        await deleteTemplate(app, callerOf(request), request.params.wid, request.params.templateId, request.requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/recipes/{id}/publish-template',
      operationId: 'publishTemplate',
      summary:
        "Publish the recipe's latest version as a workspace template; each {{name}} " +
        'in it must be a declared parameter (400 naming parameters otherwise)',
      tags: ['templates'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }), body: publishBody },
      responses: { 201: { description: 'The template', schema: templateSchema }, ...authErrors, ...notFound('recipe') },
      handler: async (request) => ({
        status: 201,
        body: await publishTemplate(app, callerOf(request), request.params.id, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/recipes/{id}/archive',
      operationId: 'archiveRecipe',
      summary:
        'Archive a recipe: hidden from the list (unless ' +
        '?archived=true), no new executions (409); running ones continue',
      tags: ['recipes'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'The recipe, archived', schema: recipeSchema },
        ...authErrors,
        ...notFound('recipe'),
      },
      handler: async (request) => ({
        status: 200,
        body: await archiveRecipe(app, callerOf(request), request.params.id, request.requestId),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/recipes/{id}/restore',
      operationId: 'restoreRecipe',
      summary: 'Restore an archived recipe',
      tags: ['recipes'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'The recipe, restored', schema: recipeSchema },
        ...authErrors,
        ...notFound('recipe'),
      },
      handler: async (request) => ({
        status: 200,
        body: await restoreRecipe(app, callerOf(request), request.params.id, request.requestId),
      }),
    }),
  ];
}
