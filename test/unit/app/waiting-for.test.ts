import { describe, expect, it } from 'vitest';
import { initialState } from '../../../src/domain/orchestrator/decide.ts';
import type { ExecutionState, StepState } from '../../../src/domain/orchestrator/execution.ts';
import type { CompiledRecipe, Step } from '../../../src/domain/orchestrator/recipe.ts';
import { waitingFor } from '../../../src/app/orchestrator/waiting-for.ts';

const base = initialState({ id: 'e', recipeId: 'r', recipeVersion: 1, startedAt: 0 });
const step = (status: StepState['status']): StepState => ({
  status,
  attempt: 1,
  tries: 1,
  visit: 1,
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
const recipe = (steps: Array<Partial<Step> & Pick<Step, 'id' | 'kind'>>): CompiledRecipe => ({
  name: 'r',
  inputs: {},
  start: steps[0]?.id ?? '',
  steps: Object.fromEntries(steps.map((s) => [s.id, s as Step])),
  deadlineMs: null,
});
const state = (status: ExecutionState['status'], steps: Record<string, StepState['status']>): ExecutionState => ({
  ...base,
  status,
  active: Object.keys(steps),
  steps: Object.fromEntries(Object.entries(steps).map(([id, s]) => [id, step(s)])),
});

describe('waitingFor', () => {
  const gate = { id: 'gate', kind: 'approval' } as const;
  const nap = { id: 'nap', kind: 'wait', event: null, forMs: 60_000, until: null, timeoutMs: null } as const;
  const hook = {
    id: 'hook',
    kind: 'wait',
    event: { name: 'go', match: null },
    forMs: null,
    until: null,
    timeoutMs: null,
  } as const;
  const agent = { id: 'a', kind: 'agent' } as const;

  it('says sandbox for a step in the slot queue, whatever else the execution does', () => {
    expect(waitingFor(state('running', { a: 'running' }), recipe([agent]), true)).toBe('sandbox');
  });
  it('names what a waiting execution waits for: approval before an event before a timer', () => {
    expect(
      waitingFor(
        state('waiting', { gate: 'waiting', hook: 'waiting', nap: 'waiting' }),
        recipe([gate, hook, nap]),
        false,
      ),
    ).toBe('approval');
    expect(waitingFor(state('waiting', { hook: 'waiting', nap: 'waiting' }), recipe([hook, nap]), false)).toBe('event');
    expect(waitingFor(state('waiting', { nap: 'waiting' }), recipe([nap]), false)).toBe('timer');
  });
  it('is null while the execution works, and once it finished', () => {
    expect(waitingFor(state('running', { a: 'running' }), recipe([agent]), false)).toBeNull();
    expect(waitingFor(state('succeeded', {}), recipe([agent]), true)).toBeNull();
  });
});
