import { z } from 'zod';
import { errorBodySchema } from './errors.ts';
import { hoistSchemaDefinitions } from './openapi-components.ts';
import type { AnyRoute } from './route.ts';

/** Information for the document's `info` block. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

type JsonSchema = Record<string, unknown>;

/**
 * Generates the OpenAPI 3.1 document from the route table, from the same zod schemas that
 * validate requests, every named schema under `components.schemas`. Deterministic: the same table
 * gives byte-identical JSON on every runtime.
 */
export function buildOpenApiDocument(routes: readonly AnyRoute[], info: OpenApiInfo): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const operation: Record<string, unknown> = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [...route.tags],
      'x-baton-access': route.access,
    };
    const parameters = [
      ...objectParameters(route.request?.params, 'path'),
      ...objectParameters(route.request?.query, 'query'),
      ...objectParameters(route.request?.headers, 'header'),
    ];
    if (parameters.length > 0) operation.parameters = parameters;
    if (route.request?.body !== undefined) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: toSchema(route.request.body, 'input') } },
      };
    }
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      const isError = Number(status) >= 400;
      const schema = spec.schema ?? (isError ? errorBodySchema : undefined);
      responses[status] =
        schema === undefined
          ? { description: spec.description }
          : {
              description: spec.description,
              content: {
                'application/json': {
                  schema:
                    isError && schema === errorBodySchema
                      ? { $ref: '#/components/schemas/Error' }
                      : toSchema(schema, 'output'),
                },
              },
            };
    }
    responses.default = {
      description: 'Error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
    operation.responses = responses;
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation;
  }
  // zod gives each schema its own `$defs`; they move to `components.schemas` so every reference
  // resolves from the document's root.
  return hoistSchemaDefinitions({
    openapi: '3.1.0',
    info: { ...info },
    paths,
    components: { schemas: { Error: toSchema(errorBodySchema, 'output') } },
  });
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    reused: 'inline',
  }) as JsonSchema;
  delete json.$schema;
  delete json.id;
  return json;
}

function objectParameters(
  schema: z.ZodType | undefined,
  location: 'path' | 'query' | 'header',
): Record<string, unknown>[] {
  if (schema === undefined) return [];
  const json = toSchema(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' ? true : required.has(name),
      ...(description === undefined ? {} : { description }),
      schema: rest,
    };
  });
}
