import { isTransactionOrigin, type Document } from '@hocuspocus/server';
import * as Y from 'yjs';
import type { RealtimeAccess, RealtimeCredentials } from '../../app/realtime/connect.ts';
import type { AccessChange } from '../../ports/realtime.ts';

// The pieces of the Node realtime server that read connections and documents without holding its
// state: what a connection carries, which access changes concern it, what an update brings.

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

/** Reports a decision a connected member wrote into an approval of the document under their own id. */
export type DecisionReport = (decision: { dashboardId: string; approvalKey: string; access: RealtimeAccess; approved: boolean; comment: string | null }) => void;

/** Observes approvals in a document and reports decisions people wrote under their own id. */
export function watchDecisions(document: Document, dashboardId: string, report: DecisionReport): void {
  document.getMap('approvals').observeDeep((events, transaction) => {
    const origin = transaction.origin;
    if (!isTransactionOrigin(origin) || origin.source !== 'connection') return;
    const access = (origin.connection.context as ConnectionContext | undefined)?.access;
    if (access === undefined) return;
    for (const event of events) {
      // A change inside approvals/<key>/decisions: the path is [<key>, 'decisions'].
      const [approvalKey, field] = event.path;
      if (typeof approvalKey !== 'string' || field !== 'decisions' || !(event.target instanceof Y.Map)) continue;
      for (const [userId, change] of event.changes.keys) {
        if (userId !== access.principal.userId || change.action === 'delete') continue;
        const value = event.target.get(userId) as { approved?: unknown; comment?: unknown } | undefined;
        if (typeof value?.approved !== 'boolean') continue;
        report({ dashboardId, approvalKey, access, approved: value.approved, comment: typeof value.comment === 'string' ? value.comment.slice(0, 5_000) : null });
      }
    }
  });
}

/**
 * Whether Yjs can read an update. One it cannot (nesting deeper than the stack allows, bad bytes)
 * would be acknowledged by Hocuspocus although Yjs dropped it (y-protocols only logs the error).
 */
export function readable(update: Uint8Array): boolean {
  try {
    Y.decodeUpdate(update);
    return true;
  } catch {
    return false;
  }
}

/** Whether `document` already has everything in `update` (false when the update cannot be read). */
export function bringsNothingNew(document: Y.Doc, update: Uint8Array): boolean {
  try {
    return Y.snapshotContainsUpdate(Y.snapshot(document), update);
  } catch {
    return false;
  }
}

export function concerns(change: AccessChange | 'all', context: ConnectionContext): boolean {
  if (change === 'all') return true;
  const { principal, sessionId } = context.access;
  switch (change.kind) {
    case 'user':
      return principal.userId === change.userId;
    case 'token':
      return principal.tokenId === change.tokenId;
    case 'session':
      return sessionId === change.sessionId;
    case 'dashboard':
      return true;
  }
}

export function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}
