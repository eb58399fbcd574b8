import { DomainError } from '../domain/errors.ts';

/**
 * The database cannot be reached right now (refused, dropped, restarting, no connection free in
 * time). Adapters throw it in place of their driver's connection errors; the HTTP edge answers
 * 503 with `Retry-After`, and callers may retry the same request later.
 */
export class UnavailableError extends DomainError {
  constructor(what: string, options: { cause?: unknown } = {}) {
    super('unavailable', `${what} is unreachable right now; retry in a few seconds`, options);
  }
}
