import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cyclesWithoutWait,
  eachStep,
  indexSteps,
  stepEdges,
  type StepNode,
} from '../../../../src/domain/orchestrator/recipe-graph.ts';
import type { Step } from '../../../../src/domain/orchestrator/recipe.ts';

/** A compiled step with only what the graph reads (the rest of a step does not matter here). */
const step = (kind: Step['kind'], next: string | null, more: Record<string, unknown> = {}): Step =>
  ({ kind, next, ...(kind === 'approval' ? { onReject: null } : {}), ...more }) as unknown as Step;

const written: StepNode[] = [
  { id: 'a', kind: 'agent' },
  {
    id: 'p',
    kind: 'parallel',
    branches: [{ steps: [{ id: 'x', kind: 'agent' }] }, { steps: [{ id: 'y', kind: 'wait' }] }],
  },
  { id: 'b', kind: 'notify' },
];

describe('the recipe graph', () => {
  it('visits the steps as written: a parallel step, its branches, then the step after it', () => {
    const seen: string[] = [];
    eachStep(written, (s, path, parent) => seen.push(`${s.id}@${path}<${parent ?? '-'}`));
    expect(seen).toEqual([
      'a@steps.0<-',
      'p@steps.1<-',
      'x@steps.1.branches.0.steps.0<p',
      'y@steps.1.branches.1.steps.0<p',
      'b@steps.2<-',
    ]);
  });

  it('walks a recipe nested deeper than the stack would allow, without recursion', () => {
    let nested: StepNode = { id: 'leaf', kind: 'agent' };
    for (let i = 0; i < 20_000; i++) nested = { id: `p${i}`, kind: 'parallel', branches: [{ steps: [nested] }] };
    let count = 0;
    eachStep([nested], () => (count += 1));
    expect(count).toBe(20_001);
  });

  it('reports a repeated step id where it is repeated, and finds jumps to missing or other-sequence steps', () => {
    const index = indexSteps([...written, { id: 'x', kind: 'agent' }]);
    expect(index.duplicates).toEqual([
      { location: 'body', path: 'steps.3.id', message: 'duplicate step id "x" (also at steps.1.branches.0.steps.0)' },
    ]);
    expect(index.jump('a', 'steps.0.next', 'b', true)).toBeUndefined();
    expect(index.jump('a', 'steps.0.next', 'end', true)).toBeUndefined();
    expect(index.jump('a', 'steps.0.next', undefined, false)).toBeUndefined();
    expect(index.jump('a', 'steps.0.cases.0.goto', 'end', false)?.message).toBe('there is no step "end"');
    expect(index.jump('a', 'steps.0.next', 'nope', true)?.message).toBe(
      'there is no step "nope" (use "end" to finish)',
    );
    expect(index.jump('a', 'steps.0.next', 'y', true)?.message).toMatch(/"y" is in another sequence/);
    expect(index.jump('x', 'steps.1.branches.0.steps.0.next', 'a', true)?.message).toMatch(/another sequence/);
  });

  it('follows next, a branch’s cases and else, and an approval’s onReject', () => {
    expect(stepEdges(step('branch', 'n', { cases: [{ goto: 'c1' }], else: 'e' }))).toEqual(['n', 'c1', 'e']);
    expect(stepEdges(step('approval', null, { onReject: 'r' }))).toEqual(['r']);
    expect(stepEdges(undefined)).toEqual([]);
  });

  it('refuses a loop nothing waits in, and accepts one with a wait or an approval', () => {
    const paths = new Map([
      ['a', 'steps.0'],
      ['b', 'steps.1'],
    ]);
    const loop = { steps: { a: step('agent', 'b'), b: step('branch', null, { cases: [{ goto: 'a' }], else: null }) } };
    expect(cyclesWithoutWait(loop, paths)).toEqual([
      { location: 'body', path: 'steps.0', message: 'steps a → b → a form a cycle without a wait or an approval' },
    ]);
    expect(cyclesWithoutWait({ steps: { ...loop.steps, a: step('wait', 'b') } }, paths)).toEqual([]);
    expect(cyclesWithoutWait({ steps: { a: step('agent', 'a') } }, paths)).toHaveLength(1);
    expect(cyclesWithoutWait({ steps: { a: step('agent', 'b'), b: step('agent', null) } }, paths)).toEqual([]);
  });

  it('reports exactly the strongly connected loops without a wait (property, against a naive closure)', () => {
    const size = 7;
    const ids = Array.from({ length: size }, (_, i) => `s${i}`);
    const target = fc.option(fc.constantFrom(...ids), { nil: null });
    const aStep = fc.record({
      kind: fc.constantFrom('agent', 'agent', 'branch', 'wait', 'approval'),
      next: target,
      other: target,
    });
    fc.assert(
      fc.property(fc.array(aStep, { minLength: size, maxLength: size }), (drawn) => {
        const steps: Record<string, Step> = {};
        drawn.forEach((d, i) => {
          const more =
            d.kind === 'branch'
              ? { cases: d.other === null ? [] : [{ goto: d.other }], else: null }
              : d.kind === 'approval'
                ? { onReject: d.other }
                : {};
          steps[ids[i] as string] = step(d.kind, d.next, more);
        });
        const reported = cyclesWithoutWait({ steps }, new Map(ids.map((id) => [id, id])));
        expect(reported.length).toBe(naiveLoopsWithoutWait(steps, ids));
      }),
      { numRuns: 1_000 },
    );
  });
});

/** The loops without a wait, counted from the transitive closure: components that reach themselves. */
function naiveLoopsWithoutWait(steps: Record<string, Step>, ids: readonly string[]): number {
  const reach = new Map(ids.map((id) => [id, new Set(stepEdges(steps[id]))]));
  for (const k of ids)
    for (const i of ids) if (reach.get(i)?.has(k)) for (const j of reach.get(k) ?? []) reach.get(i)?.add(j);
  const counted = new Set<string>();
  let loops = 0;
  for (const id of ids) {
    if (counted.has(id) || !reach.get(id)?.has(id)) continue;
    const component = ids.filter((other) => other === id || (reach.get(id)?.has(other) && reach.get(other)?.has(id)));
    for (const member of component) counted.add(member);
    if (!component.some((member) => steps[member]?.kind === 'wait' || steps[member]?.kind === 'approval')) loops += 1;
  }
  return loops;
}
