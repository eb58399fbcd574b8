import { z } from 'zod';
import { DomainError } from '../../domain/errors.ts';

/** The uniform error body of every non-2xx response. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable machine-readable code, e.g. invalid_input'),
      message: z.string().describe('Human-readable explanation naming the offending field where there is one'),
      details: z.unknown().optional().describe('Structured details, e.g. the list of input issues'),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBody = z.infer<typeof errorBodySchema>;

/** Builds the uniform error body. */
export function errorBody(code: string, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** HTTP status for each domain error code; unknown codes are bugs and map to 500. */
const statusByCode: Readonly<Record<string, number>> = {
  invalid_input: 400,
  invalid_json: 400,
  bad_request: 400,
  login_failed: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  sandbox_limit: 429,
  sandbox_unavailable: 503,
  not_ready: 503,
  not_configured: 503,
  login_unavailable: 503,
  // The database could not be reached (an outage, a failover): the same request may be retried.
  unavailable: 503,
  // An Idempotency-Key sent again with a different request.
  idempotency_key_reused: 422,
  // Postgres refused a dashboard's update itself (its log row), e.g. the dashboard is gone.
  document_unstorable: 422,
  // What GitHub or Google answered when a request of an admin needed them (connect, disconnect).
  integration_rejected: 400,
  integration_revoked: 400,
  integration_denied: 400,
  integration_missing: 404,
  integration_unavailable: 502,
};

/** The status an error code maps to at the HTTP edge. */
export function statusForCode(code: string): number {
  return statusByCode[code] ?? 500;
}

/** Seconds a client is told to wait (`Retry-After`) before it retries after an outage answer. */
export const retryAfterSeconds = 2;

/** Maps an expected domain error to its HTTP response; a 503 for an outage says when to retry. */
export function domainErrorResponse(error: DomainError): {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
} {
  const response = { status: statusForCode(error.code), body: errorBody(error.code, error.message, error.details) };
  return error.code === 'unavailable'
    ? { ...response, headers: { 'retry-after': String(retryAfterSeconds) } }
    : response;
}

/** SQLSTATE classes and codes, and socket errno codes, that mean "the database went away". */
const unreachableCode = new RegExp(
  '^(08[0-9A-Z]{3}|57P0[123]|53300|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|' +
    'EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ECONNABORTED)$',
);

/**
 * An error the adapters did not classify (a driver's own, e.g. from the job queue's pool) that
 * still says the database was unreachable, found by its `code` along the `cause` chain; returned
 * as the `unavailable` domain error so the caller gets a 503 to retry, never a 500.
 */
export function asUnavailable(error: unknown): DomainError | undefined {
  for (
    let current = error, depth = 0;
    typeof current === 'object' && current !== null && depth < 5;
    current = (current as { cause?: unknown }).cause, depth++
  ) {
    const code = (current as { code?: unknown }).code;
    if (current instanceof DomainError) return code === 'unavailable' ? current : undefined;
    if (typeof code === 'string' && unreachableCode.test(code))
      return new DomainError('unavailable', 'The database is unreachable right now; retry in a few seconds', {
        cause: error,
      });
  }
  return undefined;
}
