import { describe, expect, it } from 'vitest';
import { decide, initialState } from '../../../../src/domain/orchestrator/decide.ts';
import type { Command, ExecutionEvent, ExecutionState } from '../../../../src/domain/orchestrator/execution.ts';
import { contextOf, recipe } from './fixtures.ts';

// The decider's rules for recipe steps (docs/orchestrator.md, "Sub-recipes").

type EventBody = ExecutionEvent extends infer E
  ? E extends { type: string }
    ? Omit<E, 'at' | 'actor'>
    : never
  : never;
const childRecipe = '00000000-0000-4000-8000-000000000001';

function run(
  steps: Parameters<typeof recipe>[0],
  started: Partial<Extract<EventBody, { type: 'execution.started' }>> = {},
) {
  const ctx = contextOf(recipe(steps, { inputs: { n: { type: 'number', required: true } } }));
  let state: ExecutionState = initialState({ id: 'ex1', recipeId: 'r1', recipeVersion: 1, startedAt: 0 });
  let now = 1_000;
  const history: ExecutionEvent[] = [];
  const send = (body: EventBody): Command[] => {
    const event = { ...body, at: now, actor: { kind: 'system' as const } } as ExecutionEvent;
    const decided = decide(state, event, ctx);
    state = decided.state;
    history.push(event);
    return [...decided.commands];
  };
  const first = send({ type: 'execution.started', inputs: { n: 3 }, ...started });
  return {
    send,
    first,
    history,
    ctx,
    advance: (ms: number) => (now += ms),
    get state() {
      return state;
    },
  };
}

describe('a recipe step in the decider', () => {
  it('starts a child of the pinned version with typed inputs, names it, and takes its output', () => {
    const ex = run([{ id: 'sub', kind: 'recipe', inputs: { count: '${inputs.n}', label: 'n=${inputs.n}' } }], {
      pinned: { sub: { recipeId: childRecipe, version: 4 } },
    });
    expect(ex.first).toEqual([
      {
        kind: 'start_child',
        key: 'ex1/sub/1',
        stepId: 'sub',
        attempt: 1,
        recipeId: childRecipe,
        version: 4,
        inputs: { count: 3, label: 'n=3' },
      },
    ]);
    expect(ex.state.status).toBe('running');
    ex.send({ type: 'child.started', stepId: 'sub', attempt: 1, childExecutionId: 'child-1' });
    expect(ex.state.steps.sub?.childExecutionId).toBe('child-1');
    const output = { executionId: 'child-1', status: 'succeeded', summary: null, outputs: {} };
    expect(ex.send({ type: 'step.completed', stepId: 'sub', attempt: 1, output })).toEqual([
      { kind: 'finished', status: 'succeeded' },
    ]);
    expect(ex.state.steps.sub?.output).toEqual(output);
  });

  it(
    'passes pause and resume to a running child; cancel and timeouts ' +
      'cancel it; a retry starts a new child of the same version',
    () => {
      const ex = run(
        [{ id: 'sub', kind: 'recipe', timeoutMs: 500, retry: { maxAttempts: 2, initialMs: 10, factor: 1, maxMs: 10 } }],
        { pinned: { sub: { recipeId: childRecipe, version: 2 } } },
      );
      expect(ex.send({ type: 'execution.paused' })).toEqual([
        {
          kind: 'control_child',
          key: 'ex1/sub/1',
          stepId: 'sub',
          action: 'pause',
          reason: 'the parent execution was paused',
        },
      ]);
      expect(ex.send({ type: 'execution.resumed' })).toEqual([
        {
          kind: 'control_child',
          key: 'ex1/sub/1',
          stepId: 'sub',
          action: 'resume',
          reason: 'the parent execution was resumed',
        },
      ]);
      ex.advance(500);
      const timedOut = ex.send({ type: 'timer.fired', timer: 'timeout:sub:1' });
      expect(timedOut).toContainEqual({
        kind: 'control_child',
        key: 'ex1/sub/1',
        stepId: 'sub',
        action: 'cancel',
        reason: 'the step timed out',
      });
      expect(ex.state.steps.sub?.status).toBe('scheduled');
      ex.advance(10);
      expect(ex.send({ type: 'timer.fired', timer: 'retry:sub:2' })).toContainEqual(
        expect.objectContaining({ kind: 'start_child', key: 'ex1/sub/2', attempt: 2, version: 2 }),
      );
      // A late report of the first child changes nothing.
      ex.send({
        type: 'step.failed',
        stepId: 'sub',
        attempt: 1,
        error: 'child execution x was cancelled',
        retryable: true,
      });
      expect(ex.state.steps.sub).toMatchObject({ status: 'running', attempt: 2 });
      expect(ex.send({ type: 'execution.cancelled', reason: null })).toContainEqual({
        kind: 'control_child',
        key: 'ex1/sub/2',
        stepId: 'sub',
        action: 'cancel',
        reason: 'the parent execution ended',
      });
    },
  );

  it('records its parent and pins from the start event, and replaying the history rebuilds the state', () => {
    const parent = { executionId: 'p1', stepId: 'build', attempt: 2, depth: 1 };
    const ex = run([{ id: 'sub', kind: 'recipe' }], { parent, pinned: { sub: { recipeId: childRecipe, version: 1 } } });
    ex.send({ type: 'child.started', stepId: 'sub', attempt: 1, childExecutionId: 'c1' });
    ex.send({
      type: 'step.failed',
      stepId: 'sub',
      attempt: 1,
      error: 'child execution c1 failed: no',
      retryable: true,
    });
    expect(ex.state).toMatchObject({
      status: 'failed',
      parent,
      pinned: { sub: { recipeId: childRecipe, version: 1 } },
    });
    let replayed = initialState({ id: 'ex1', recipeId: 'r1', recipeVersion: 1, startedAt: 0 });
    for (const event of ex.history) replayed = decide(replayed, event, ex.ctx).state;
    expect(replayed).toEqual(ex.state);
  });

  it('runs the latest version when the step has no pin', () => {
    const ex = run([{ id: 'sub', kind: 'recipe' }]);
    expect(ex.first).toEqual([expect.objectContaining({ kind: 'start_child', version: null })]);
  });
});
