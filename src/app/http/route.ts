import type { z } from 'zod';
import type { Scope } from '../../domain/access/roles.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Authentication } from '../identity/authenticate.ts';
import type { RequestHeaders } from './headers.ts';

/** HTTP methods the route table uses. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public` routes answer anyone (health, OpenAPI, login). `user` routes need
 * a signed-in user or an API token carrying `scope`; which resources they may touch is decided by
 * the access policy inside the use case. Cookie-authenticated writes also need CSRF proof.
 */
export type Access = { readonly kind: 'public' } | { readonly kind: 'user'; readonly scope: Scope };

export type { RequestHeaders } from './headers.ts';

/** What a handler receives: validated params, query and body, plus request context. */
export interface RouteRequest<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** The body exactly as received (signed callbacks verify it), or undefined when there was none. */
  readonly rawBody: string | undefined;
  readonly headers: RequestHeaders;
  /** The request id that every log line of this request carries (echoed as `x-request-id`). */
  readonly requestId: string;
  /** Logger bound to this request. */
  readonly log: Logger;
  /** The verified caller; always set on `user` routes, null on public ones when anonymous. */
  readonly auth: Authentication | null;
}

/** What a handler returns. A JSON body is serialised by the runtime adapter. */
export interface RouteResponse {
  readonly status: number;
  readonly body?: unknown;
  /** Extra headers; `set-cookie` may carry several values. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
}

/** A documented response of a route. */
export interface ResponseSpec {
  readonly description: string;
  /** JSON body schema; omit for responses without a body. */
  readonly schema?: z.ZodType;
}

/**
 * One HTTP route, declared once and mounted by every runtime (fastify on Node, a fetch router in
 * the Worker). Nothing here may depend on a server framework.
 */
export interface Route<P = unknown, Q = unknown, B = unknown> {
  readonly method: HttpMethod;
  /** OpenAPI-style path, e.g. `/v1/dashboards/{id}`. */
  readonly path: string;
  /** Unique, stable name used in the OpenAPI document. */
  readonly operationId: string;
  readonly summary: string;
  readonly tags: readonly string[];
  readonly access: Access;
  readonly request?: {
    readonly params?: z.ZodType<P>;
    readonly query?: z.ZodType<Q>;
    readonly body?: z.ZodType<B>;
    /** Request headers the route reads (lower-case names): checked (400 naming the header) and documented. */
    readonly headers?: z.ZodType;
  };
  /**
   * Text Postgres cannot store (U+0000, unpaired surrogates; see `src/app/text-policy.ts`): refused
   * with a 400 naming the field (the default, for params, query and body), or, in the body only,
   * replaced by U+FFFD (`replace`: third-party webhooks, whose senders cannot change what they
   * send; the handler's `rawBody` stays as received). The depth limit holds either way.
   */
  readonly unstorableText?: 'refuse' | 'replace';
  /** Responses by status code; error responses share the uniform error body. */
  readonly responses: Readonly<Record<number, ResponseSpec>>;
  handler(request: RouteRequest<P, Q, B>): Promise<RouteResponse>;
}

/** A route of any type, as the table holds it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = Route<any, any, any>;

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<P = undefined, Q = undefined, B = undefined>(route: Route<P, Q, B>): Route<P, Q, B> {
  return route;
}

/** The caller of a `user` route (dispatch guarantees it is set). */
export function callerOf(request: { readonly auth: Authentication | null }): Authentication['principal'] {
  if (request.auth === null) throw new Error('callerOf used on a route without user access');
  return request.auth.principal;
}
