import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, paths } from './openapi.d.ts';

/** Baton's HTTP API, typed from the OpenAPI document (`client/openapi.d.ts`). */
export type BatonClient = Client<paths>;

/** A named schema of the API (`Schema<'Workspace'>`). */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

/** The uniform error body every failing route answers with. */
export type ErrorBody = Schema<'Error'>;

/**
 * A client for Baton's API at `baseUrl` (empty: the page's own origin). `credentials` defaults to
 * `same-origin`, so a browser sends its session cookie and no other site's; a CLI passes a bearer
 * token in `headers` instead.
 */
export function createBatonClient(options: ClientOptions = {}): BatonClient {
  return createClient<paths>({ credentials: 'same-origin', ...options });
}
