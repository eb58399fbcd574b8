import { describe, expect, it } from 'vitest';
import type { ExecutionState, StepState, StepStatus } from '../../../src/domain/orchestrator/execution.ts';
import { stepChanges } from '../../../src/app/orchestrator/step-metrics.ts';

const step = (status: StepStatus, visit = 1): StepState => ({
  status,
  attempt: visit,
  tries: 1,
  visit,
  branchesEnded: 0,
  input: null,
  inputEdited: false,
  output: null,
  error: null,
  startedAt: 0,
  finishedAt: null,
  decisions: [],
  timer: null,
});
const state = (steps: Record<string, StepState>): ExecutionState => ({
  id: 'e',
  recipeId: 'r',
  recipeVersion: 1,
  status: 'running',
  inputs: {},
  steps,
  active: [],
  startedAt: 0,
  finishedAt: null,
  deadlineAt: null,
  reason: null,
  version: 1,
});

describe('stepChanges (what the step counters count)', () => {
  it('counts a step that starts, and one that starts and ends within one event (notify, branch)', () => {
    expect(stepChanges(state({}), state({ a: step('running'), b: step('succeeded') }))).toEqual([
      { stepId: 'a', change: 'started' },
      { stepId: 'b', change: 'started' },
      { stepId: 'b', change: 'finished' },
    ]);
  });

  it('counts an end once, and nothing for steps that did not move', () => {
    const running = state({ a: step('running'), done: step('succeeded') });
    expect(stepChanges(running, state({ a: step('succeeded'), done: step('succeeded') }))).toEqual([
      { stepId: 'a', change: 'finished' },
    ]);
    expect(stepChanges(running, running)).toEqual([]);
  });

  it('does not count automatic retries as starts, but a failure for good as failed', () => {
    expect(stepChanges(state({ a: step('running') }), state({ a: step('scheduled') }))).toEqual([]);
    expect(stepChanges(state({ a: step('scheduled') }), state({ a: step('running') }))).toEqual([]);
    expect(stepChanges(state({ a: step('running') }), state({ a: step('failed') }))).toEqual([
      { stepId: 'a', change: 'failed' },
    ]);
  });

  it("counts a person's retry and a loop's new visit as starts", () => {
    expect(stepChanges(state({ a: step('failed') }), state({ a: step('running') }))).toEqual([
      { stepId: 'a', change: 'started' },
    ]);
    expect(stepChanges(state({ a: step('succeeded', 1) }), state({ a: step('succeeded', 2) }))).toEqual([
      { stepId: 'a', change: 'started' },
      { stepId: 'a', change: 'finished' },
    ]);
  });

  it('counts neither start nor end for steps skipped or cancelled', () => {
    expect(
      stepChanges(
        state({ a: step('pending'), b: step('running') }),
        state({ a: step('skipped'), b: step('cancelled') }),
      ),
    ).toEqual([]);
    expect(stepChanges(state({}), state({ a: step('pending') }))).toEqual([]);
  });
});
