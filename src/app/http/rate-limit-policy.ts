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
  /** Per client address on `/v1/device/{code}` (device sign-in codes a person types), whoever is signed in. */
  readonly deviceCodePerMinute: number;
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
 * refused: guessing tokens is limited per address). `/auth/*` and `/v1/device/*` are always per address. Null when
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
  const address = addressKey(clientAddress);
  if (pathname.startsWith('/auth/')) return { key: `auth:${address}`, perMinute: limits.authPerMinute };
  // A user code is 8 letters a person types: guessing them is limited per address, not per account.
  if (/^\/v1\/device\/[^/]+(\/(approve|deny))?$/.test(pathname))
    return { key: `device:${address}`, perMinute: limits.deviceCodePerMinute };
  if (unlimited.some((pattern) => pattern.test(pathname))) return null;
  const authentication = await authenticate();
  if (authentication !== null && authentication !== 'refused') {
    if (authentication.principal.tokenId !== undefined)
      return { key: `token:${authentication.principal.tokenId}`, perMinute: limits.tokenPerMinute };
    if (authentication.sessionId !== undefined)
      return { key: `session:${authentication.sessionId}`, perMinute: limits.sessionPerMinute };
  }
  return { key: `address:${address}`, perMinute: limits.anonymousPerMinute };
}

/**
 * The only form a bucket's key leaves this module in, for the store that counts it: its SHA-256, hex.
 * A store (Postgres, Redis) or a log then never holds a token's or a session's id, or an address.
 */
export async function rateLimitKey(bucket: RateLimitBucket): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(bucket.key)));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * What counts as one client address: an IPv4 address (also when IPv4-mapped), or the /64 an IPv6
 * address is in. One IPv6 subscriber usually holds a whole /64, so counting single addresses would
 * give them 2^64 budgets.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(\.\d{1,3}){3})$/i.exec(address);
  if (mapped !== null) return mapped[1] ?? address;
  if (!address.includes(':')) return address;
  const [head = '', tail] = (address.split('%')[0] ?? '').split('::');
  const front = head === '' ? [] : head.split(':');
  const back = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? front
      : [...front, ...new Array<string>(Math.max(0, 8 - front.length - back.length)).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((group) => (Number.parseInt(group, 16) || 0).toString(16))
    .join(':')}::/64`;
}
