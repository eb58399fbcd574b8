import type { Scope } from './roles.ts';
import { scopes } from './roles.ts';

/** Who is asking: a signed-in user through a browser session or an API token. */
export interface Principal {
  readonly userId: string;
  /** How the request was authenticated; cookie-authenticated writes need CSRF proof. */
  readonly via: 'session' | 'token';
  /** The token's id, when via a token. */
  readonly tokenId?: string;
  /** What the credential may do; a session has every scope. */
  readonly scopes: readonly Scope[];
  /** When set, the credential may only touch this dashboard (tokens given to sandboxes). */
  readonly dashboardId?: string;
}

/** The principal of a browser session. */
export function sessionPrincipal(userId: string): Principal {
  return { userId, via: 'session', scopes };
}
