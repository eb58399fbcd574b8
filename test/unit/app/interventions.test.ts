import { describe, expect, it } from 'vitest';
import { interventionProblem } from '../../../src/app/orchestrator/interventions.ts';
import type { EventBody } from '../../../src/app/orchestrator/engine.ts';
import { decide, initialState } from '../../../src/domain/orchestrator/decide.ts';
import type { ExecutionState } from '../../../src/domain/orchestrator/execution.ts';
import { contextOf, recipe } from '../domain/orchestrator/fixtures.ts';

const compiled = recipe([
  { id: 'a', kind: 'agent' },
  { id: 'gate', kind: 'approval', quorum: 2 },
  { id: 'c', kind: 'agent' },
]);
const ctx = contextOf(compiled);

/** The state after these events (by ann), from a fresh start. */
function after(...bodies: EventBody[]): ExecutionState {
  let state = decide(
    initialState({ id: 'ex', recipeId: 'r', recipeVersion: 1, startedAt: 0 }),
    { type: 'execution.started', inputs: {}, at: 1_000, actor: { kind: 'system' } },
    ctx,
  ).state;
  for (const body of bodies)
    state = decide(state, { ...body, at: 2_000, actor: { kind: 'user', userId: 'ann' } }, ctx).state;
  return state;
}
const problem = (state: ExecutionState, body: EventBody, by = 'ann') => {
  const found = interventionProblem(state, compiled, body, undefined, by);
  return found === null ? null : { code: found.code, message: found.message, details: found.details };
};

describe('refusals of interventions', () => {
  it('say what is true of a step that has not started, with details', () => {
    expect(problem(after(), { type: 'approval.decided', stepId: 'gate', approved: true, comment: null })).toEqual({
      code: 'conflict',
      message: 'Step "gate" is not waiting for a decision: it has not started yet',
      details: { stepId: 'gate', status: null, executionStatus: 'running' },
    });
    const held = after({ type: 'execution.paused' }, { type: 'step.completed', stepId: 'a', attempt: 1, output: null });
    expect(problem(held, { type: 'approval.decided', stepId: 'gate', approved: true, comment: null })?.message).toBe(
      'Step "gate" is not waiting for a decision: it has not started yet (the execution is paused)',
    );
    // A step held by the pause still takes a new input.
    expect(
      problem(after({ type: 'execution.paused' }, { type: 'step.completed', stepId: 'a', attempt: 1, output: null }), {
        type: 'step.input_edited',
        stepId: 'c',
        input: {},
      }),
    ).toBeNull();
    expect(problem(after(), { type: 'step.input_edited', stepId: 'a', input: {} })).toEqual({
      code: 'conflict',
      message: 'Step "a" has already started: it is running',
      details: { stepId: 'a', status: 'running', executionStatus: 'running' },
    });
  });

  it('refuse a second decision by the same person, naming the first', () => {
    const decided = after(
      { type: 'step.completed', stepId: 'a', attempt: 1, output: null },
      { type: 'approval.decided', stepId: 'gate', approved: true, comment: null },
    );
    expect(problem(decided, { type: 'approval.decided', stepId: 'gate', approved: false, comment: null })).toEqual({
      code: 'conflict',
      message: 'You have already approved step "gate"; one decision per person',
      details: {
        stepId: 'gate',
        status: 'waiting',
        executionStatus: 'waiting',
        decision: { userId: 'ann', approved: true, at: 2_000 },
      },
    });
    expect(
      problem(decided, { type: 'approval.decided', stepId: 'gate', approved: true, comment: null }, 'bob'),
    ).toBeNull();
  });

  it("name the execution's status when it has ended, and an unknown step as not found", () => {
    const failed = after({ type: 'step.failed', stepId: 'a', attempt: 1, error: 'x', retryable: false });
    expect(problem(failed, { type: 'step.input_edited', stepId: 'c', input: {} })).toEqual({
      code: 'conflict',
      message: 'The execution has failed; step "c" will not run',
      details: { stepId: 'c', status: null, executionStatus: 'failed' },
    });
    expect(problem(failed, { type: 'execution.resumed' })).toEqual({
      code: 'conflict',
      message: 'The execution has failed, not paused',
      details: { executionStatus: 'failed' },
    });
    expect(problem(failed, { type: 'step.retried', stepId: 'c' })?.message).toBe(
      'Step "c" has not started yet; only a failed step can be retried',
    );
    expect(problem(failed, { type: 'step.retried', stepId: 'a' })).toBeNull();
    expect(problem(failed, { type: 'step.skipped', stepId: 'nope', output: null })).toEqual({
      code: 'not_found',
      message: 'Step "nope" was not found',
      details: { stepId: 'nope', executionStatus: 'failed' },
    });
  });
});
