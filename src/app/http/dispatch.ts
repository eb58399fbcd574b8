import type { z } from 'zod';
import {
  DomainError,
  ForbiddenError,
  InvalidInputError,
  UnauthenticatedError,
  type InputIssue,
} from '../../domain/errors.ts';
import type { Logger } from '../../ports/logger.ts';
import { checkJson, replaceUnstorable } from '../text-policy.ts';
import type { Authentication } from '../identity/authenticate.ts';
import { isSameOrigin } from '../identity/csrf.ts';
import { asUnavailable, domainErrorResponse, errorBody } from './errors.ts';
import type { AnyRoute, RequestHeaders, RouteResponse } from './route.ts';

/** The raw request as a runtime adapter hands it over, before validation. */
export interface RawRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, unknown>>;
  /** The parsed JSON body, or undefined when the request had none. */
  readonly body: unknown;
  /** The body exactly as received (for signature checks), when there was one. */
  readonly rawBody?: string;
  readonly headers: RequestHeaders;
  readonly requestId: string;
  readonly log: Logger;
}

/** What dispatch needs from the app to authenticate callers. */
export interface DispatchContext {
  /** Resolves the caller from the headers; null when anonymous; throws UnauthenticatedError for a bad credential. */
  authenticate(headers: RequestHeaders): Promise<Authentication | null>;
  /** Our public origin (scheme://host[:port]); cookie-authenticated writes must come from it. */
  readonly publicOrigin: string;
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Runs one request through a route: validates params, query and body with the route's schemas,
 * calls the handler, and turns expected failures into the uniform error body. Runtime adapters
 * (fastify, the Worker's fetch router) only route, parse JSON and write the result, so both
 * runtimes behave the same.
 */
export async function dispatch(route: AnyRoute, raw: RawRequest, context: DispatchContext): Promise<RouteResponse> {
  let auth: Authentication | null;
  try {
    auth = await authorizeRoute(route, raw, context);
  } catch (error) {
    if (error instanceof DomainError) return domainErrorResponse(error);
    // Authentication reads the database: an outage is a 503 to retry, not a 500.
    const unavailable = asUnavailable(error);
    if (unavailable !== undefined) return domainErrorResponse(unavailable);
    throw error;
  }

  // One text and depth policy before any schema: a route added tomorrow is covered without thinking.
  const replaceText = route.unstorableText === 'replace';
  const hostile = [
    ...checkJson(raw.params, { location: 'params' }),
    ...checkJson(raw.query, { location: 'query' }),
    ...checkJson(raw.body, { location: 'body', text: !replaceText }),
  ];
  if (hostile.length > 0) return domainErrorResponse(new InvalidInputError(hostile));
  const rawInput = replaceText ? replaceUnstorable(raw.body) : raw.body;

  const issues: InputIssue[] = [];
  const params = validate(route.request?.params, raw.params, 'params', issues);
  const query = validate(route.request?.query, raw.query, 'query', issues);
  const body = validate(route.request?.body, rawInput, 'body', issues);
  validate(route.request?.headers, raw.headers, 'header', issues);
  if (issues.length > 0) return domainErrorResponse(new InvalidInputError(issues));

  try {
    return await route.handler({
      params,
      query,
      body,
      rawBody: raw.rawBody,
      headers: raw.headers,
      requestId: raw.requestId,
      log: raw.log,
      auth,
    });
  } catch (error) {
    if (error instanceof DomainError) return domainErrorResponse(error);
    const unavailable = asUnavailable(error);
    if (unavailable !== undefined) {
      raw.log.warn({ err: error, operationId: route.operationId }, 'the database is unreachable; answered 503');
      return domainErrorResponse(unavailable);
    }
    raw.log.error({ err: error, operationId: route.operationId }, 'unhandled error in route handler');
    return {
      status: 500,
      body: errorBody('internal_error', 'Something went wrong on our side; the request id identifies it in our logs', {
        requestId: raw.requestId,
      }),
    };
  }
}

/**
 * Authentication comes before validation, so anonymous callers learn nothing about a route's
 * input. On `user` routes: a caller is required, the credential must carry the route's scope, and a
 * cookie-authenticated write must come from our own origin (CSRF).
 */
async function authorizeRoute(
  route: AnyRoute,
  raw: RawRequest,
  context: DispatchContext,
): Promise<Authentication | null> {
  if (route.access.kind === 'public') return null;
  const auth = await context.authenticate(raw.headers);
  if (auth === null) throw new UnauthenticatedError();
  if (
    auth.sessionId !== undefined &&
    !safeMethods.has(route.method) &&
    !isSameOrigin(raw.headers, context.publicOrigin)
  ) {
    throw new DomainError(
      'csrf_failed',
      'Cookie-authenticated writes must come from this site (the Origin header did not match)',
    );
  }
  if (!auth.principal.scopes.includes(route.access.scope))
    throw new ForbiddenError(`This token lacks the "${route.access.scope}" scope`, {
      details: { requiredScope: route.access.scope, scopes: auth.principal.scopes },
    });
  return auth;
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
