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
  let state = decide(initialState({ id, recipeId: 'r', recipeVersion: 1, startedAt: 0 }), { type: 'execution.started', inputs: {}, at, actor: system }, ctx).state;
  if (!running) state = decide(state, { type: 'step.completed', stepId: 'a', attempt: 1, output: null, at: at + 1_000, actor: system }, ctx).state;
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
});
