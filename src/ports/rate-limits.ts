/** A budget's count in its current window. */
export interface RateLimitCount {
  /** Requests counted in the window so far, the one just counted included. */
  readonly count: number;
  /** Milliseconds until the window ends and the count starts again (for `Retry-After`). */
  readonly resetInMs: number;
}

/**
 * Request counts per rate-limit budget, kept where every instance of Baton sees them (Postgres, or
 * Redis when there is one), so a limit holds however a load balancer spreads the requests. A
 * window begins with the budget's first request and lasts `windowMs`.
 */
export interface RateLimitCounter {
  /**
   * Counts one request against `key` and returns the count so far. `key` is opaque to the store and
   * already a hash (SHA-256, hex): a credential or an address never reaches it. Rejects when the
   * store cannot be reached; the caller decides what that means (Baton serves the request).
   */
  hit(key: string, windowMs: number): Promise<RateLimitCount>;
  /** Lets go of what the counter holds (a Redis connection); further hits reject. */
  close(): Promise<void>;
}
