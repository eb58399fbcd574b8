import { z } from 'zod';
import { recipeLimits } from '../../../domain/orchestrator/recipe.ts';
import type { AppContext } from '../../context.ts';
import type { Engine } from '../../orchestrator/engine.ts';
import { startExecution, startExecutionOnce } from '../../orchestrator/executions.ts';
import {
  createRecipe,
  getRecipe,
  listRecipeVersions,
  listRecipes,
  updateRecipe,
  validateRecipe,
} from '../../orchestrator/recipes.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { executionSchema } from './execution-schemas.ts';
import { authErrors, id, name, timestamp } from './schemas.ts';
import { templateId } from './template-id.ts';

/** The optional `Idempotency-Key` of a POST that starts work (see README, "Retrying safely"). */
const idempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'expected 1 to 255 visible ASCII characters')
    .optional()
    .describe(
      'Makes the request safe to retry: the same key from the same user within 24 hours gets ' +
        'the first answer again (the same execution) instead of starting another; the key with a ' +
        'different request is refused with 422. Use a new random key (e.g. a UUID) per new request.',
    ),
});

const recipeBody = z
  .object({
    recipe: z.record(z.string(), z.unknown()).optional().describe('The recipe as a JSON object'),
    yaml: z
      .string()
      .max(recipeLimits.sourceLength, `a recipe's text may have at most ${recipeLimits.sourceLength} characters`)
      .optional()
      .describe('The recipe as YAML (or JSON) text'),
  })
  .refine((b) => (b.recipe === undefined) !== (b.yaml === undefined), 'give exactly one of recipe or yaml');
const newRecipeBody = z
  .object({
    recipe: z.record(z.string(), z.unknown()).optional().describe('The recipe as a JSON object'),
    yaml: z
      .string()
      .max(recipeLimits.sourceLength, `a recipe's text may have at most ${recipeLimits.sourceLength} characters`)
      .optional()
      .describe('The recipe as YAML (or JSON) text'),
    template: templateId
      .optional()
      .describe('Make the recipe from this template (GET /v1/workspaces/{wid}/templates) with `parameters`'),
    parameters: z
      .record(z.string(), z.unknown())
      .optional()
      .describe("With template: the parameters' values; a missing or ill-typed one is a 400 naming parameters.<name>"),
    name: name.optional().describe("With template: the recipe's name instead of the template's"),
  })
  .refine(
    (b) => [b.recipe, b.yaml, b.template].filter((x) => x !== undefined).length === 1,
    'give exactly one of recipe, yaml or template',
  )
  .refine((b) => b.template !== undefined || (b.parameters === undefined && b.name === undefined), {
    message: 'parameters and name go with template',
    path: ['parameters'],
  });
const versionSchema = z
  .object({
    recipeId: id,
    version: z.number().int(),
    source: z.unknown(),
    compiled: z.unknown(),
    createdBy: id.nullable(),
    createdAt: timestamp,
  })
  .meta({ id: 'RecipeVersion' });
/** A recipe as the API shows it. */
export const recipeSchema = z
  .object({
    id,
    workspaceId: id,
    name: z.string(),
    latestVersion: z.number().int(),
    createdAt: timestamp,
    updatedAt: timestamp,
    archivedAt: timestamp.nullable().describe('Set while archived: no new executions'),
  })
  .meta({ id: 'Recipe' });
const recipeViewSchema = recipeSchema.extend({ latest: versionSchema }).meta({ id: 'RecipeWithLatestVersion' });
const notFound = (what: string) => ({ 404: { description: `No such ${what} (or you may not see it)` } }) as const;

/** Recipes (versioned) and starting executions (agent profiles: `agent-profiles.ts`). */
export function recipeRoutes(app: AppContext, engine: () => Engine): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/recipes',
      operationId: 'createRecipe',
      summary:
        'Create a recipe (version 1), from its source or from a template with ' +
        'parameter values; an invalid recipe gets 400 naming the path of each problem',
      tags: ['recipes'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ wid: id }), body: newRecipeBody },
      responses: {
        201: { description: 'Created', schema: recipeViewSchema },
        ...authErrors,
        ...notFound('workspace or template'),
      },
      handler: async (request) => ({
        status: 201,
        body: await createRecipe(app, callerOf(request), request.params.wid, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/recipes/validate',
      operationId: 'validateRecipe',
      summary:
        'Check a recipe without saving it: 200 with its name, or ' +
        "the 400 creating it would get, naming each problem's path",
      tags: ['recipes'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id }), body: recipeBody },
      responses: {
        200: {
          description: 'The recipe is valid',
          schema: z.object({ valid: z.literal(true), name: z.string() }).meta({ id: 'RecipeValidation' }),
        },
        ...authErrors,
        ...notFound('workspace'),
      },
      handler: async (request) => ({
        status: 200,
        body: {
          valid: true as const,
          ...(await validateRecipe(app, callerOf(request), request.params.wid, request.body)),
        },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/recipes',
      operationId: 'listRecipes',
      summary: 'Recipes of a workspace',
      tags: ['recipes'],
      access: { kind: 'user', scope: 'read' },
      request: {
        params: z.object({ wid: id }),
        query: z.object({
          archived: z
            .enum(['true', 'false'])
            .default('false')
            .describe('true: the archived recipes instead of the others'),
        }),
      },
      responses: {
        200: { description: 'Recipes', schema: z.object({ recipes: z.array(recipeSchema) }) },
        ...authErrors,
        ...notFound('workspace'),
      },
      handler: async (request) => ({
        status: 200,
        body: {
          recipes: await listRecipes(app, callerOf(request), request.params.wid, {
            archived: request.query.archived === 'true',
          }),
        },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/recipes/{id}',
      operationId: 'getRecipe',
      summary: 'A recipe with its latest version',
      tags: ['recipes'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: { 200: { description: 'The recipe', schema: recipeViewSchema }, ...authErrors, ...notFound('recipe') },
      handler: async (request) => ({ status: 200, body: await getRecipe(app, callerOf(request), request.params.id) }),
    }),
    defineRoute({
      method: 'PUT',
      path: '/v1/recipes/{id}',
      operationId: 'updateRecipe',
      summary: 'Add a new version (versions are immutable; running executions keep theirs)',
      tags: ['recipes'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }), body: recipeBody },
      responses: {
        200: { description: 'The recipe with its new version', schema: recipeViewSchema },
        ...authErrors,
        ...notFound('recipe'),
      },
      handler: async (request) => ({
        status: 200,
        body: await updateRecipe(app, callerOf(request), request.params.id, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/recipes/{id}/versions',
      operationId: 'listRecipeVersions',
      summary: 'Every version of a recipe, newest first',
      tags: ['recipes'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'Versions', schema: z.object({ versions: z.array(versionSchema) }) },
        ...authErrors,
        ...notFound('recipe'),
      },
      handler: async (request) => ({
        status: 200,
        body: { versions: await listRecipeVersions(app, callerOf(request), request.params.id) },
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/recipes/{id}/executions',
      operationId: 'startExecution',
      summary: "Run the recipe's latest version in a dashboard",
      tags: ['executions'],
      access: { kind: 'user', scope: 'control' },
      request: {
        params: z.object({ id }),
        body: z.object({ dashboardId: id, inputs: z.record(z.string(), z.unknown()).default({}) }),
        headers: idempotencyKeyHeader,
      },
      responses: {
        201: {
          description:
            'Started (or, for an Idempotency-Key already used with this ' +
            'request, the first answer again, with `Idempotent-Replayed: true`)',
          schema: executionSchema,
        },
        ...authErrors,
        ...notFound('recipe or dashboard'),
        409: { description: 'The dashboard or the recipe is archived (details.state)' },
        422: { description: 'The Idempotency-Key was used with a different request' },
        503: {
          description: 'The database is unreachable; retry after `Retry-After` seconds (with the same Idempotency-Key)',
        },
      },
      handler: async (request) => {
        const key = request.headers['idempotency-key'];
        if (key === undefined)
          return {
            status: 201,
            body: await startExecution(
              app,
              engine(),
              callerOf(request),
              request.params.id,
              request.body,
              request.requestId,
            ),
          };
        const { execution, replayed } = await startExecutionOnce(
          app,
          engine(),
          callerOf(request),
          request.params.id,
          request.body,
          request.requestId,
          key,
        );
        return { status: 201, body: execution, ...(replayed ? { headers: { 'idempotent-replayed': 'true' } } : {}) };
      },
    }),
  ];
}
