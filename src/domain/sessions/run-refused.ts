import { DomainError } from '../errors.ts';

/**
 * The execution plane refused to start a run for good (a 4xx other than 404, 408, 409 and 429: a
 * request it cannot accept, say an input its contract does not allow). The step fails at once with
 * the plane's message; another attempt is only worth it when the plane says so (`retryable`).
 */
export class SandboxRunRefusedError extends DomainError {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super('sandbox_run_refused', message);
    this.retryable = retryable;
  }
}
