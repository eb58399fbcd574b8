import { describe, expect, it } from 'vitest';
import { decide, initialState } from '../../../../src/domain/orchestrator/decide.ts';
import type { ExecutionEvent } from '../../../../src/domain/orchestrator/execution.ts';
import { maxStartsPerEvent } from '../../../../src/domain/orchestrator/steps.ts';
import { contextOf, recipe } from './fixtures.ts';

// Steps that end at once (branches, dashboard notes, waits already due) start the next one in the
// same event. However long that chain, it costs no stack; a loop of them ends the execution.

const started = { type: 'execution.started', inputs: {}, at: 1_000, actor: { kind: 'system' } } as ExecutionEvent;
const start = (steps: Parameters<typeof recipe>[0]) =>
  decide(
    initialState({ id: 'ex1', recipeId: 'r1', recipeVersion: 1, startedAt: 1_000 }),
    started,
    contextOf(recipe(steps)),
  );

describe('chains of steps that end at once', () => {
  // Twice what a recipe may have (recipeLimits.steps), and past where starting each from the last overflowed the stack.
  it('run to the end in one event, 2,000 of them, without a stack overflow', () => {
    const steps = Array.from({ length: 2_000 }, (_, i) =>
      i % 2 === 0
        ? { id: `s${i}`, kind: 'branch' as const, cases: [], else: null }
        : { id: `s${i}`, kind: 'notify' as const, channel: 'dashboard', message: 'x', url: null },
    );
    const decided = start(steps);
    expect(decided.state.status).toBe('succeeded');
    expect(Object.values(decided.state.steps).every((s) => s.status === 'succeeded')).toBe(true);
    expect(decided.commands.filter((c) => c.kind === 'notify')).toHaveLength(1_000);
  });

  it('fail the execution when they loop (a wait whose until has passed), instead of overflowing the stack', () => {
    const decided = start([
      { id: 'w', kind: 'wait', forMs: null, until: '0', event: null, timeoutMs: null },
      { id: 'b', kind: 'branch', cases: [{ if: 'true', goto: 'w' }], else: null },
    ]);
    expect(decided.state.status).toBe('failed');
    expect(decided.state.reason).toContain('loops without waiting');
    expect(decided.state.steps.w?.visit).toBe(maxStartsPerEvent / 2);
  });
});
