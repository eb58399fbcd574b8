/**
 * Decisions people write into a dashboard document: its `decisions` map holds, per approval
 * (`<executionId>:<stepId>`), each member's own entry (user id → `{ approved, comment? }`). These
 * are the rules on such writes, given as plain data (the realtime adapters read the Yjs events).
 */

/** The key of an approval in a dashboard document: its execution and its step. */
export function approvalKey(executionId: string, stepId: string): string {
  return `${executionId}:${stepId}`;
}

/** An approval key split into its execution (a UUID) and its step; undefined when it is not one. */
export function parseApprovalKey(key: string): { executionId: string; stepId: string } | undefined {
  const match = /^([0-9a-f-]{36}):(.+)$/.exec(key);
  return match === null ? undefined : { executionId: match[1] ?? '', stepId: match[2] ?? '' };
}

/** A decision as it is handed to the engine. */
export interface DecisionValue {
  readonly approved: boolean;
  readonly comment: string | null;
}

/** Who wrote to the document, as their connection was admitted. */
export interface Decider {
  readonly userId: string;
  /** A read-only connection (viewer, read-only token, archived dashboard) decides nothing. */
  readonly readOnly: boolean;
}

/** One write to an approval's entries: the whole entry set added or replaced, or entries inside it. */
export interface DecisionsWrite {
  readonly approvalKey: string;
  /** The user ids whose entries the write set (added or changed; deleted ones are left out). */
  readonly written: readonly string[];
  /** The approval's entry under a user id after the write. */
  readonly entryOf: (userId: string) => unknown;
}

/** A comment is kept up to this many characters (UTF-16 units); the rest is cut. */
export const maxDecisionCommentLength = 5_000;

/** Whether someone connected so may decide approvals through the document. */
export const mayDecide = (decider: Decider): boolean => !decider.readOnly;

/** The decision an entry holds: `approved` must be a boolean; a comment that is not a string is none. */
export function decisionValue(entry: unknown): DecisionValue | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const { approved, comment } = entry as { approved?: unknown; comment?: unknown };
  if (typeof approved !== 'boolean') return undefined;
  return { approved, comment: typeof comment === 'string' ? comment.slice(0, maxDecisionCommentLength) : null };
}

/**
 * The decision a write makes, if it makes one: only someone who may decide, only through their
 * own entry (whatever is written under another id does nothing), and only a valid entry.
 */
export function decisionOf(write: DecisionsWrite, decider: Decider): DecisionValue | undefined {
  if (!mayDecide(decider) || !write.written.includes(decider.userId)) return undefined;
  return decisionValue(write.entryOf(decider.userId));
}
