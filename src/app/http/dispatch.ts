import type { z } from 'zod';
import { DomainError, InvalidInputError, type InputIssue } from '../../domain/errors.ts';
import type { Logger } from '../../ports/logger.ts';
import { domainErrorResponse, errorBody } from './errors.ts';
import type { AnyRoute, RequestHeaders, RouteResponse } from './route.ts';

/** The raw request as a runtime adapter hands it over, before validation. */
export interface RawRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  /** The parsed JSON body, or undefined when the request had none. */
  readonly body: unknown;
  readonly headers: RequestHeaders;
  readonly requestId: string;
  readonly log: Logger;
}

/**
 * Runs one request through a route: validates params, query and body with the route's schemas,
 * calls the handler, and turns expected failures into the uniform error body. Runtime adapters
 * (fastify, the Worker's fetch router) only route, parse JSON and write the result, so both
 * runtimes behave the same.
 */
export async function dispatch(route: AnyRoute, raw: RawRequest): Promise<RouteResponse> {
  const issues: InputIssue[] = [];
  const params = validate(route.request?.params, raw.params, 'params', issues);
  const query = validate(route.request?.query, raw.query, 'query', issues);
  const body = validate(route.request?.body, raw.body, 'body', issues);
  if (issues.length > 0) return domainErrorResponse(new InvalidInputError(issues));

  try {
    return await route.handler({ params, query, body, headers: raw.headers, requestId: raw.requestId, log: raw.log });
  } catch (error) {
    if (error instanceof DomainError) return domainErrorResponse(error);
    raw.log.error({ err: error, operationId: route.operationId }, 'unhandled error in route handler');
    return { status: 500, body: errorBody('internal_error', 'Something went wrong on our side; the request id identifies it in our logs', { requestId: raw.requestId }) };
  }
}

function validate(schema: z.ZodType | undefined, value: unknown, location: string, issues: InputIssue[]): unknown {
  if (schema === undefined) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    issues.push({ location, path: issue.path.map(String).join('.'), message: issue.message });
  }
  return undefined;
}
