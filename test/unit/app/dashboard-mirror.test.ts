import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { finishedKept, mirrorExecution } from '../../../src/app/orchestrator/dashboard-mirror.ts';
import { decide, initialState } from '../../../src/domain/orchestrator/decide.ts';
import type { ExecutionState } from '../../../src/domain/orchestrator/execution.ts';
import { contextOf, recipe } from '../domain/orchestrator/fixtures.ts';

const compiled = recipe([{ id: 'a', kind: 'agent' }]);
const ctx = contextOf(compiled);
const system = { kind: 'system' as const };

/** An execution of a one-step recipe, started at `at` and, unless `running`, finished a second later. */
function execution(id: string, at: number, running = false): ExecutionState {
  let state = decide(
    initialState({ id, recipeId: 'r', recipeVersion: 1, startedAt: 0 }),
    { type: 'execution.started', inputs: {}, at, actor: system },
    ctx,
  ).state;
  if (!running)
    state = decide(
      state,
      { type: 'step.completed', stepId: 'a', attempt: 1, output: null, at: at + 1_000, actor: system },
      ctx,
    ).state;
  return state;
}

describe('executions in the dashboard document', () => {
  it(`keeps only the newest ${finishedKept} finished executions, and every running one`, () => {
    const doc = new Y.Doc();
    const running = execution('still-running', 0, true);
    mirrorExecution(doc, running, compiled);
    for (let i = 0; i < finishedKept + 5; i++) mirrorExecution(doc, execution(`done-${i}`, i * 10_000), compiled);
    const ids = [...doc.getMap('executions').keys()];
    expect(ids).toHaveLength(finishedKept + 1);
    expect(ids).toContain('still-running');
    // The five oldest went; the newest stayed.
    for (let i = 0; i < 5; i++) expect(ids).not.toContain(`done-${i}`);
    expect(ids).toContain(`done-${finishedKept + 4}`);
  });

  describe('approvals', () => {
    const gated = recipe([
      { id: 'gate', kind: 'approval', prompt: 'Ship?', quorum: 2, onReject: 'again' },
      { id: 'done', kind: 'notify', next: null },
      { id: 'again', kind: 'wait', forMs: 1_000, next: 'gate' },
    ]);
    const gateCtx = contextOf(gated);
    const person = (userId: string) => ({ kind: 'user' as const, userId });
    const decided = (
      state: ExecutionState,
      userId: string,
      approved: boolean,
      at: number,
      comment: string | null = null,
    ) =>
      decide(state, { type: 'approval.decided', stepId: 'gate', approved, comment, at, actor: person(userId) }, gateCtx)
        .state;
    const started = () =>
      decide(
        initialState({ id: 'ex', recipeId: 'r', recipeVersion: 1, startedAt: 0 }),
        { type: 'execution.started', inputs: {}, at: 1_000, actor: system },
        gateCtx,
      ).state;
    const entryOf = (doc: Y.Doc) => doc.getMap<Y.Map<unknown>>('approvals').get('ex:gate');
    const decisionsOf = (doc: Y.Doc) => (entryOf(doc)?.get('decisions') as Y.Map<unknown> | undefined)?.toJSON();

    it('shows an approval that was decided before any write showed it waiting, with every decision', () => {
      const doc = new Y.Doc();
      // The first write the mirror makes already has the approval closed (the coalesced newest state).
      const state = decided(decided(started(), 'ann', true, 2_000, 'ok'), 'bob', true, 2_500);
      mirrorExecution(doc, state, gated);
      expect(entryOf(doc)?.toJSON()).toEqual({
        executionId: 'ex',
        stepId: 'gate',
        prompt: 'Ship?',
        quorum: 2,
        visit: 1,
        status: 'approved',
        decisions: {
          ann: { approved: true, comment: 'ok', at: 2_000 },
          bob: { approved: true, comment: null, at: 2_500 },
        },
      });
    });

    it('writes decisions made elsewhere (the API) into the document, and removes refused ones once closed', () => {
      const doc = new Y.Doc();
      let state = started();
      mirrorExecution(doc, state, gated);
      expect(entryOf(doc)?.get('status')).toBe('waiting');
      // Someone writes a decision in another's name; it is never recorded (it stays until the approval closes).
      (entryOf(doc)?.get('decisions') as Y.Map<unknown>).set('cy', { approved: true, comment: 'forged' });
      state = decided(state, 'ann', true, 2_000);
      mirrorExecution(doc, state, gated);
      expect(decisionsOf(doc)).toEqual({
        ann: { approved: true, comment: null, at: 2_000 },
        cy: { approved: true, comment: 'forged' },
      });
      state = decided(state, 'bob', false, 3_000, 'not yet');
      mirrorExecution(doc, state, gated);
      expect(entryOf(doc)?.get('status')).toBe('rejected');
      expect(decisionsOf(doc)).toEqual({
        ann: { approved: true, comment: null, at: 2_000 },
        bob: { approved: false, comment: 'not yet', at: 3_000 },
      });
      // Its second visit (a loop) starts without the first visit's decisions.
      state = decide(state, { type: 'timer.fired', timer: 'wait:again:1', at: 4_000, actor: system }, gateCtx).state;
      mirrorExecution(doc, state, gated);
      expect(entryOf(doc)?.toJSON()).toMatchObject({ visit: 2, status: 'waiting', decisions: {} });
    });

    it('shows an approval skipped or cancelled while it waited as such, and none for one held by a pause', () => {
      const doc = new Y.Doc();
      const paused = decide(
        initialState({ id: 'held', recipeId: 'r', recipeVersion: 1, startedAt: 0 }),
        { type: 'execution.started', inputs: {}, at: 1_000, actor: system },
        contextOf(
          recipe([
            { id: 'a', kind: 'agent' },
            { id: 'gate', kind: 'approval' },
          ]),
        ),
      ).state;
      const pausedThen = [
        { type: 'execution.paused' as const },
        { type: 'step.completed' as const, stepId: 'a', attempt: 1, output: null },
      ].reduce(
        (s, e) =>
          decide(
            s,
            { ...e, at: 2_000, actor: person('ann') },
            contextOf(
              recipe([
                { id: 'a', kind: 'agent' },
                { id: 'gate', kind: 'approval' },
              ]),
            ),
          ).state,
        paused,
      );
      mirrorExecution(
        doc,
        pausedThen,
        recipe([
          { id: 'a', kind: 'agent' },
          { id: 'gate', kind: 'approval' },
        ]),
      );
      expect(doc.getMap('approvals').get('held:gate')).toBeUndefined();
      const cancelled = decide(
        started(),
        { type: 'execution.cancelled', reason: null, at: 2_000, actor: person('ann') },
        gateCtx,
      ).state;
      mirrorExecution(doc, cancelled, gated);
      expect(entryOf(doc)?.get('status')).toBe('cancelled');
    });
  });
});
