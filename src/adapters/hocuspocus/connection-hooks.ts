import { isTransactionOrigin, type Document } from '@hocuspocus/server';
import * as Y from 'yjs';
import { maxJsonDepth } from '../../app/text-policy.ts';
import type { RealtimeAccess, RealtimeCredentials } from '../../app/realtime/connect.ts';
import { decisionOf, type DecisionsWrite } from '../../domain/realtime/approval-decision.ts';

// The pieces of the Node realtime server that read connections and documents without holding its
// state: what a connection carries, which decisions it writes, what an update brings.

/** What each admitted connection carries. */
export interface ConnectionContext {
  access: RealtimeAccess;
  readonly credentials: RealtimeCredentials;
  /** This server's id for the admitted connection (what `onOpened` and `onClosed` name). */
  readonly connectionId: string;
  /** Set once an update of this connection was refused because it was read-only (see `#recheck`). */
  refusedWhileReadOnly: boolean;
  /** Set once this connection was asked for structs the document lacks (see `afterHandleMessage`). */
  askedForMissing: boolean;
}

/**
 * Reports a decision a connected member wrote into the dashboard document's `decisions` map under
 * their own id (`dashboardId` is the dashboard's id, `approvalKey` `<executionId>:<stepId>`).
 */
export type DecisionReport = (decision: {
  dashboardId: string;
  approvalKey: string;
  access: RealtimeAccess;
  approved: boolean;
  comment: string | null;
}) => void;

/**
 * Observes the dashboard document's `decisions` map (`<executionId>:<stepId>` → Y.Map userId →
 * `{ approved, comment? }`) and reports the decisions its writes make (`decisionOf` in
 * src/domain/realtime/approval-decision.ts: one's own valid entry, from a connection that may
 * write). The approval itself, with the decisions recorded, is in the state document, which only
 * the server writes.
 */
export function watchDecisions(document: Document, dashboardId: string, report: DecisionReport): void {
  document.getMap('decisions').observeDeep((events, transaction) => {
    const origin = transaction.origin;
    if (!isTransactionOrigin(origin) || origin.source !== 'connection') return;
    const access = (origin.connection.context as ConnectionContext | undefined)?.access;
    if (access === undefined) return;
    const decider = { userId: access.principal.userId, readOnly: access.readOnly };
    const reportFrom = (write: DecisionsWrite) => {
      const decision = decisionOf(write, decider);
      if (decision !== undefined) report({ dashboardId, approvalKey: write.approvalKey, access, ...decision });
    };
    for (const event of events) {
      if (!(event.target instanceof Y.Map)) continue;
      if (event.path.length === 0) {
        // A whole approval's entry set (the first decision on it): `decisions/<key>` added or replaced.
        for (const [approvalKey, change] of event.changes.keys) {
          const entries = event.target.get(approvalKey);
          if (change.action !== 'delete' && entries instanceof Y.Map)
            reportFrom({ approvalKey, written: [...entries.keys()], entryOf: (userId) => entries.get(userId) });
        }
        continue;
      }
      // A change inside `decisions/<key>`: the path is [<key>].
      const [approvalKey] = event.path;
      if (typeof approvalKey !== 'string' || event.path.length !== 1) continue;
      const entries = event.target;
      const written = [...event.changes.keys].filter(([, change]) => change.action !== 'delete').map(([id]) => id);
      reportFrom({ approvalKey, written, entryOf: (userId) => entries.get(userId) });
    }
  });
}

/**
 * Whether Yjs can read an update and every value in it nests at most `maxJsonDepth` levels (as the
 * REST routes allow). One Yjs cannot read (bad bytes, nesting deeper than the stack allows) would be
 * acknowledged by Hocuspocus although Yjs dropped it (y-protocols only logs the error). The depth
 * bound is fixed, not the stack's: a value that decodes here can still be too deep to encode later
 * (compaction, a new client's sync, both deeper in the stack), and the document would then be
 * stuck in memory and sent to nobody.
 */
export function readable(update: Uint8Array): boolean {
  try {
    const { structs } = Y.decodeUpdate(update);
    for (const struct of structs) {
      if (!(struct instanceof Y.Item)) continue;
      const values: unknown[] = struct.content.getContent();
      if (struct.content instanceof Y.ContentFormat) values.push(struct.content.value);
      if (values.some((value) => deeperThan(value, maxJsonDepth))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Whether `value` nests more than `limit` levels (an object or array is a level); no recursion. */
function deeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null || next.value instanceof Uint8Array) continue;
    const depth = next.depth + 1;
    if (depth > limit) return true;
    for (const child of Array.isArray(next.value) ? next.value : Object.values(next.value))
      pending.push({ value: child, depth });
  }
  return false;
}

/** Whether `document` already has everything in `update` (false when the update cannot be read). */
export function bringsNothingNew(document: Y.Doc, update: Uint8Array): boolean {
  try {
    return Y.snapshotContainsUpdate(Y.snapshot(document), update);
  } catch {
    return false;
  }
}

export function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}
