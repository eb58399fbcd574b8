import { DomainError } from '../../domain/errors.ts';
import type { Realtime } from '../../ports/realtime.ts';

/**
 * The Worker's `Realtime` when the deployment has no DASHBOARDS Durable Object binding.
 * Every use of a live document fails loudly with `not_configured` (503 at the HTTP edge) instead
 * of pretending to work: a REST write into a dashboard must never be acknowledged and then lost.
 * Presence fails too, so a client cannot mistake "not available" for "nobody is here".
 */
export const unavailableRealtime: Realtime = {
  state: () => Promise.reject(unavailable()),
  applyUpdate: () => Promise.reject(unavailable()),
  presence: () => Promise.reject(unavailable()),
};

function unavailable(): DomainError {
  return new DomainError(
    'not_configured',
    'Live dashboards are not available: this Worker has no DASHBOARDS Durable Object binding ' +
      '(see deploy/cloudflare/wrangler.toml)',
  );
}
