import type { RetryPolicy } from './recipe.ts';

/**
 * How long attempt `attempt` (1-based, within one visit of the step) waits before it starts:
 * nothing for the first, then initial × factor^(n−2), capped at max. Deterministic: it depends only
 * on the policy and the attempt number, never on a clock or randomness.
 */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  if (attempt <= 1) return 0;
  return Math.min(policy.maxMs, Math.round(policy.initialMs * policy.factor ** (attempt - 2)));
}
