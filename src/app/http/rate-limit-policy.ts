import type { Authentication } from '../identity/authenticate.ts';

/** Requests per minute, by what the caller authenticated with (`BATON_RATE_LIMIT_*`). */
export interface RateLimits {
  /** Per client address on `/auth/*` (login), whatever the credentials. */
  readonly authPerMinute: number;
  /** Per API token (by its id, however the header was spelled). */
  readonly tokenPerMinute: number;
  /** Per browser session (by its id). */
  readonly sessionPerMinute: number;
  /** Per client address for everything else: no credential, or one that was refused. */
  readonly anonymousPerMinute: number;
}

/** Which budget a request spends, and of whom. */
export interface RateLimitBucket {
  readonly key: string;
  readonly perMinute: number;
}

/**
 * Paths outside the per-request budgets: the probes a load balancer polls, the realtime WebSocket
 * (its credentials travel inside the protocol, and its messages are not requests), and the signed
 * machine-to-machine deliveries (sandbox callbacks, webhooks). Those are checked by HMAC before
 * anything is written, and their senders share addresses (GitHub's, a sandbox host's), so one
 * abusive neighbour must not be able to spend their budget and make deliveries fail.
 */
const unlimited = [/^\/healthz$/, /^\/readyz$/, /^\/v1\/realtime$/, /^\/v1\/sandbox-events$/, /^\/v1\/hooks\/[^/]+$/];

/**
 * The budget a request spends, keyed by what authenticated it: the API token's id, the browser
 * session's id, else the client address (anonymous callers, and callers whose credential was
 * refused: guessing tokens is limited per address). `/auth/*` is always per address. Null when
 * the path is not limited. `clientAddress` is the socket's peer, or the forwarded client behind a
 * trusted proxy (`BATON_TRUST_PROXY`). `authenticate` is called only when the answer depends on it.
 */
export async function rateLimitBucket(
  limits: RateLimits,
  path: string,
  clientAddress: string,
  authenticate: () => Promise<Authentication | null | 'refused'>,
): Promise<RateLimitBucket | null> {
  const pathname = (path.split('?')[0] ?? '').replace(/\/+$/, '');
  if (pathname.startsWith('/auth/')) return { key: `auth:${clientAddress}`, perMinute: limits.authPerMinute };
  if (unlimited.some((pattern) => pattern.test(pathname))) return null;
  const authentication = await authenticate();
  if (authentication !== null && authentication !== 'refused') {
    if (authentication.principal.tokenId !== undefined) return { key: `token:${authentication.principal.tokenId}`, perMinute: limits.tokenPerMinute };
    if (authentication.sessionId !== undefined) return { key: `session:${authentication.sessionId}`, perMinute: limits.sessionPerMinute };
  }
  return { key: `address:${clientAddress}`, perMinute: limits.anonymousPerMinute };
}
