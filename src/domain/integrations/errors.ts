import { DomainError } from '../errors.ts';

/** The outside services Baton connects workspaces to. */
export type IntegrationProvider = 'github' | 'google';

/**
 * Why a call to an integration's service failed, as a step or a user needs to know it:
 * - `integration_revoked`: the grant is gone (installation removed or suspended, refresh token revoked
 *   or expired); nothing works until an admin connects again. Not retryable.
 * - `integration_denied`: the grant works but does not reach this target (repository, folder). Not retryable.
 * - `integration_rejected`: the service refused the request as malformed. Not retryable.
 * - `integration_unavailable`: network failure, timeout, 5xx or rate limit. Retryable.
 * - `integration_missing`: the workspace has no (or no single) connection of the kind a step names. Not retryable.
 */
export type IntegrationErrorCode =
  | 'integration_revoked'
  | 'integration_denied'
  | 'integration_rejected'
  | 'integration_unavailable'
  | 'integration_missing';

/** A failed call to GitHub or Google, with whether trying again later may help. */
export class IntegrationError extends DomainError {
  readonly provider: IntegrationProvider;
  readonly retryable: boolean;
  constructor(
    provider: IntegrationProvider,
    code: IntegrationErrorCode,
    message: string,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(code, message, {
      cause: options.cause,
      details: { provider, ...(options.status === undefined ? {} : { status: options.status }) },
    });
    this.provider = provider;
    this.retryable = code === 'integration_unavailable';
  }
}
