import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  approvalKey,
  decisionOf,
  decisionValue,
  parseApprovalKey,
  maxDecisionCommentLength,
  type DecisionsWrite,
} from '../../../../src/domain/realtime/approval-decision.ts';

const editor = { userId: 'u1', readOnly: false };
const write = (entries: Record<string, unknown>, written = Object.keys(entries)): DecisionsWrite => ({
  approvalKey: 'e1:gate',
  written,
  entryOf: (userId) => entries[userId],
});

describe('a decision written into a dashboard document', () => {
  it('is one’s own valid entry, written from a connection that may write', () => {
    expect(decisionOf(write({ u1: { approved: true } }), editor)).toEqual({ approved: true, comment: null });
    expect(decisionOf(write({ u1: { approved: false, comment: 'no' } }), editor)).toEqual({
      approved: false,
      comment: 'no',
    });
  });

  it('is nothing from a read-only connection', () => {
    expect(decisionOf(write({ u1: { approved: true } }), { userId: 'u1', readOnly: true })).toBeUndefined();
  });

  it('is nothing when written under someone else’s id, or when one’s own entry was not what changed', () => {
    expect(decisionOf(write({ u2: { approved: true } }), editor)).toBeUndefined();
    // Someone else's entry changed; one's own, written earlier, is not decided again.
    expect(decisionOf(write({ u1: { approved: true }, u2: { approved: true } }, ['u2']), editor)).toBeUndefined();
  });

  it('needs a boolean `approved`; a comment that is not a string is none, a long one is cut', () => {
    for (const entry of [undefined, null, 'yes', true, {}, { approved: 'true' }, { approved: 1 }])
      expect(decisionValue(entry), JSON.stringify(entry)).toBeUndefined();
    expect(decisionValue({ approved: true, comment: 7 })).toEqual({ approved: true, comment: null });
    const long = 'x'.repeat(maxDecisionCommentLength + 10);
    expect(decisionValue({ approved: true, comment: long })?.comment).toHaveLength(maxDecisionCommentLength);
  });

  it('never decides for another id, nor from a read-only connection (property)', () => {
    const user = fc.constantFrom('u1', 'u2', 'u3');
    const entry = fc.oneof(
      fc.record({ approved: fc.boolean(), comment: fc.option(fc.string(), { nil: undefined }) }),
      fc.anything(),
    );
    fc.assert(
      fc.property(
        fc.dictionary(user, entry),
        fc.subarray(['u1', 'u2', 'u3']),
        user,
        fc.boolean(),
        (entries, written, userId, readOnly) => {
          const decision = decisionOf(write(entries, written), { userId, readOnly });
          if (decision === undefined) return;
          expect(readOnly).toBe(false);
          expect(written).toContain(userId);
          expect(decision.approved).toBe((entries[userId] as { approved: boolean }).approved);
        },
      ),
    );
  });
});

describe('an approval key', () => {
  const executionId = '0b6c8a44-3f7e-4f55-9c7a-2d1f0e9b8a77';

  it('names the execution and the step, and splits back into them (a step id may hold colons)', () => {
    expect(parseApprovalKey(approvalKey(executionId, 'gate'))).toEqual({ executionId, stepId: 'gate' });
    expect(parseApprovalKey(approvalKey(executionId, 'a:b'))).toEqual({ executionId, stepId: 'a:b' });
  });

  it('is nothing without an execution id in front or a step after it', () => {
    for (const key of ['gate', ':gate', 'e1:gate', `${executionId}:`, `${executionId}gate`])
      expect(parseApprovalKey(key), key).toBeUndefined();
  });
});
