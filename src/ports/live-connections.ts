import type { AccessChange } from './realtime.ts';

/** One open realtime connection, as the registry records it. */
export interface LiveConnection {
  readonly dashboardId: string;
  /** Unique within the dashboard (the realtime server's own id for the socket). */
  readonly connectionId: string;
  readonly userId: string;
  /** The API token it was admitted with, if any. */
  readonly tokenId: string | null;
  /** The sign-in session it was admitted with, if any. */
  readonly sessionId: string | null;
}

/**
 * Where realtime servers that cannot hear access changes themselves (a Durable Object per
 * dashboard) record their open connections, so whoever commits an access change can find the
 * dashboards it concerns and tell only those.
 */
export interface LiveConnections {
  /** Records a connection once it was admitted. */
  opened(connection: LiveConnection): Promise<void>;
  /** Forgets a connection that closed. */
  closed(dashboardId: string, connectionId: string): Promise<void>;
  /** Forgets every connection of a dashboard: its server starts afresh (earlier rows are stale). */
  reset(dashboardId: string): Promise<void>;
  /** The dashboards with an open connection that `change` concerns. */
  dashboardsConcerned(change: AccessChange): Promise<string[]>;
}
