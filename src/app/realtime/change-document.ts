import * as Y from 'yjs';
import type { AppContext } from '../context.ts';

/**
 * Makes a change to a live dashboard document as the server (REST writes, the orchestrator): on a
 * copy of the live state, so that only the difference goes through the Realtime port, where it is
 * merged with concurrent edits like any client's update. Returns what `edit` returned.
 */
export async function changeDocument<T>(ctx: Pick<AppContext, 'realtime'>, dashboardId: string, edit: (doc: Y.Doc) => T): Promise<T> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await ctx.realtime.state(dashboardId));
  const before = Y.encodeStateVector(doc);
  const result = edit(doc);
  const update = Y.encodeStateAsUpdate(doc, before);
  // An update with no structs and no deletions (two bytes) changes nothing: skip the round trip.
  if (update.length > 2) await ctx.realtime.applyUpdate(dashboardId, update);
  return result;
}
