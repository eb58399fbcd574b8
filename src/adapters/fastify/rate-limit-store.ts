import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Logger } from '../../ports/logger.ts';
import type { RateLimitCounter } from '../../ports/rate-limits.ts';

/**
 * How long a request waits for its count. Past it the request is served uncounted: a slow store
 * must not make every request slow (the count still lands when the store answers).
 */
const hitTimeoutMs = 1_000;
/** After a failure, requests skip the store this long (served at once), then one tries it again. */
const retryAfterFailureMs = 5_000;

/**
 * @fastify/rate-limit's store over the shared `RateLimitCounter`. When the counter fails or is slow
 * the request is served (fail open: an outage of the counts must not become an outage of Baton),
 * and while it stays down requests do not wait for it. One warning when that starts and one line
 * when counting works again, not a line per request.
 */
export function sharedRateLimitStore(counter: RateLimitCounter, logger: Logger): FastifyRateLimitStoreCtor {
  let failing = false;
  let retryAt = 0;
  const failed = (error: unknown, callback: (error: Error) => void) => {
    retryAt = Date.now() + retryAfterFailureMs;
    if (!failing) {
      failing = true;
      logger.warn(
        { err: error },
        'rate limits are not enforced for now: their store (Redis or ' +
          'Postgres) did not answer; requests are served uncounted until it does',
      );
    }
    callback(error instanceof Error ? error : new Error(String(error)));
  };
  const store: FastifyRateLimitStore = {
    incr(key, callback, timeWindow) {
      if (failing && Date.now() < retryAt) return callback(new Error('the rate-limit store is unreachable'));
      if (failing) retryAt = Date.now() + retryAfterFailureMs; // this request tries; the others keep skipping
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`the rate-limit store did not answer within ${hitTimeoutMs} ms`)),
          hitTimeoutMs,
        );
      });
      Promise.race([counter.hit(key, timeWindow), timeout])
        .finally(() => clearTimeout(timer))
        .then(
          ({ count, resetInMs }) => {
            if (failing) {
              failing = false;
              logger.info({}, 'rate limits are counted again: their store answers');
            }
            callback(null, { current: count, ttl: resetInMs });
          },
          (error: unknown) => failed(error, callback),
        );
    },
    // One store for every route: budgets are per caller, whatever the route.
    child: () => store,
  };
  return class {
    constructor() {
      return store;
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
