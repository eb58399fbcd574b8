import { z } from 'zod';
import type { DomainError } from '../../domain/errors.ts';

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

/** Maps an expected domain error to its HTTP response. */
export function domainErrorResponse(error: DomainError): { status: number; body: ErrorBody } {
  return { status: statusForCode(error.code), body: errorBody(error.code, error.message, error.details) };
}
