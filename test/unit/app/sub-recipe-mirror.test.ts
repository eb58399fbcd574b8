import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { mirrorExecution } from '../../../src/app/orchestrator/dashboard-mirror.ts';
import { decide, initialState } from '../../../src/domain/orchestrator/decide.ts';
import type { ExecutionEvent, ExecutionState } from '../../../src/domain/orchestrator/execution.ts';
import { contextOf, recipe } from '../domain/orchestrator/fixtures.ts';

// A recipe step's entry in the dashboard's execution summary names its child (docs/orchestrator.md, "Sub-recipes").

const compiled = recipe([
  { id: 'agent', kind: 'agent' },
  { id: 'sub', kind: 'recipe' },
]);
const ctx = contextOf(compiled);
const system = { kind: 'system' as const };
const apply = (state: ExecutionState, event: Record<string, unknown> & { type: string }, at: number) =>
  decide(state, { ...event, at, actor: system } as ExecutionEvent, ctx).state;

describe('a recipe step in the dashboard document', () => {
  it('carries childExecutionId once its child started; other steps carry none', () => {
    let state = apply(
      initialState({ id: 'ex', recipeId: 'r', recipeVersion: 1, startedAt: 0 }),
      { type: 'execution.started', inputs: {} },
      1_000,
    );
    state = apply(state, { type: 'step.completed', stepId: 'agent', attempt: 1, output: 'ok' }, 2_000);
    const steps = (doc: Y.Doc) =>
      (doc.getMap('executions').get('ex') as { steps: Record<string, Record<string, unknown>> }).steps;
    const doc = new Y.Doc();
    mirrorExecution(doc, state, compiled);
    expect(steps(doc).sub).toEqual({ status: 'running', attempt: 1, error: null, summary: null });
    state = apply(
      state,
      { type: 'child.started', stepId: 'sub', attempt: 1, childExecutionId: '5a1e0b6c-0000-4000-8000-000000000002' },
      3_000,
    );
    mirrorExecution(doc, state, compiled);
    expect(steps(doc).sub).toMatchObject({
      status: 'running',
      childExecutionId: '5a1e0b6c-0000-4000-8000-000000000002',
    });
    expect(steps(doc).agent).not.toHaveProperty('childExecutionId');
  });
});
