/**
 * Expected failures of the domain and the use cases. Each has a stable string `code` that clients
 * can branch on; the HTTP edge alone decides which status a code maps to.
 * Use cases return (or throw) these for failures a caller can cause; anything else is a bug.
 */
export class DomainError extends Error {
  /** Stable, machine-readable code, e.g. `not_found`. */
  readonly code: string;
  /** Structured, client-safe details (field paths, limits); never secrets. */
  readonly details: unknown;

  constructor(code: string, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.details = options.details;
  }
}

/** One problem with a caller's input, located by where it was found and the path inside it. */
export interface InputIssue {
  /** Where the value came from: `body`, `query`, `params`, `header`, or a config variable. */
  readonly location: string;
  /** Path inside that location, e.g. `steps.2.id`; empty for the location as a whole. */
  readonly path: string;
  readonly message: string;
}

/** The caller sent something malformed or out of range. */
export class InvalidInputError extends DomainError {
  readonly issues: readonly InputIssue[];
  constructor(issues: readonly InputIssue[], message?: string) {
    super('invalid_input', message ?? describeIssues(issues), { details: { issues } });
    this.issues = issues;
  }
}

/** The resource does not exist, or the caller may not know that it exists. */
export class NotFoundError extends DomainError {
  constructor(what: string, options: { cause?: unknown; details?: unknown } = {}) {
    super('not_found', `${what} was not found`, options);
  }
}

/** The caller is not authenticated (no, expired or invalid credentials). */
export class UnauthenticatedError extends DomainError {
  constructor(message = 'Authentication is required', options: { cause?: unknown } = {}) {
    super('unauthenticated', message, options);
  }
}

/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  constructor(message = 'You may not do this', options: { cause?: unknown; details?: unknown } = {}) {
    super('forbidden', message, options);
  }
}

/** The request conflicts with the current state (a duplicate, a stale version, a wrong state). */
export class ConflictError extends DomainError {
  constructor(message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super('conflict', message, options);
  }
}

/** An OIDC login could not be finished (bad state, provider error, invalid ID token); safe to show. */
export class LoginFailedError extends DomainError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('login_failed', message, options);
  }
}

/** Renders issues as one line that names every field, e.g. `body.name: Required; query.limit: Too big`. */
export function describeIssues(issues: readonly InputIssue[]): string {
  if (issues.length === 0) return 'Invalid input';
  return issues
    .map((issue) => `${issue.path === '' ? issue.location : `${issue.location}.${issue.path}`}: ${issue.message}`)
    .join('; ');
}

/** A sandbox or its provider is gone or does not answer: the session is lost, the work moves on. */
export class SandboxUnavailableError extends DomainError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('sandbox_unavailable', message, options);
  }
}

/** The workspace already runs as many sandboxes as it may. */
export class SandboxLimitError extends DomainError {
  constructor(limit: number) {
    super(
      'sandbox_limit',
      `This workspace already runs ${limit} sandboxes, its limit; stop one or wait for one to finish`,
      { details: { limit } },
    );
  }
}

/** The resource existed but is gone for good (a replaced sandbox's session epoch). */
export class GoneError extends DomainError {
  constructor(message: string) {
    super('gone', message);
  }
}
