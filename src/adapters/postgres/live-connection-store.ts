import { accessChangeSubject, type accessChangeFields } from '../../domain/realtime/access-change.ts';
import type { LiveConnections } from '../../ports/live-connections.ts';
import type { Database } from './database.ts';

/** The live-connection registry in Postgres (`live_connections`, migration 0012). */
export function createLiveConnectionStore(db: Database): LiveConnections {
  return {
    async opened(c) {
      await db
        .insertInto('live_connections')
        .values({
          dashboard_id: c.dashboardId,
          connection_id: c.connectionId,
          user_id: c.userId,
          token_id: c.tokenId,
          session_id: c.sessionId,
        })
        .onConflict((oc) => oc.columns(['dashboard_id', 'connection_id']).doNothing())
        .execute();
    },
    async closed(dashboardId, connectionId) {
      await db
        .deleteFrom('live_connections')
        .where('dashboard_id', '=', dashboardId)
        .where('connection_id', '=', connectionId)
        .execute();
    },
    async reset(dashboardId) {
      await db.deleteFrom('live_connections').where('dashboard_id', '=', dashboardId).execute();
    },
    async dashboardsConcerned(change) {
      // A dashboard without connections is not named either: telling its object would only wake it.
      const { field, id: value } = accessChangeSubject(change);
      const column = registryColumns[field];
      // Ids come from our own records, but a malformed one must not become a 500 (uuid cast error).
      if (!/^[0-9a-f-]{36}$/i.test(value)) return [];
      const rows = await db
        .selectFrom('live_connections')
        .select('dashboard_id')
        .distinct()
        .where(column, '=', value)
        .execute();
      return rows.map((r) => r.dashboard_id);
    },
  };
}

/** The registry column of each field an access change can be about. */
const registryColumns = {
  userId: 'user_id',
  tokenId: 'token_id',
  sessionId: 'session_id',
  dashboardId: 'dashboard_id',
} as const satisfies Record<(typeof accessChangeFields)[keyof typeof accessChangeFields], string>;
