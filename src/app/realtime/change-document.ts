import * as Y from 'yjs';
import type { AppContext } from '../context.ts';

/**
 * Makes a change to a live document as the server (REST writes into the dashboard document, the
 * mirrors into its state document): on a copy of the live state, so that only the difference goes
 * through the Realtime port, where it is merged with concurrent edits like any client's update.
 * `documentName` is the dashboard id or `stateDocumentName(id)`. Returns what `edit` returned.
 */
export async function changeDocument<T>(
  ctx: Pick<AppContext, 'realtime'>,
  documentName: string,
  edit: (doc: Y.Doc) => T,
): Promise<T> {
  const doc = new Y.Doc();
  Y.applyUpdate(doc, await ctx.realtime.state(documentName));
  const before = Y.encodeStateVector(doc);
  const result = edit(doc);
  const update = Y.encodeStateAsUpdate(doc, before);
  // An update with no structs and no deletions (two bytes) changes nothing: skip the round trip.
  if (update.length > 2) await ctx.realtime.applyUpdate(documentName, update);
  return result;
}
