import type { InputIssue } from '../errors.ts';
import type { CompiledRecipe, Step } from './recipe.ts';

// The rules on a recipe's step graph: ids unique across the recipe, jumps only to a step of the
// same sequence, no loop that nothing waits in. Pure: the app's recipe checks (src/app/orchestrator/
// recipe-graph.ts) add the expression and template checks, which need the CEL parser.

/** A step as written, as far as the graph rules read it: a parallel step's branches hold more steps. */
export interface StepNode {
  readonly id: string;
  readonly kind: string;
  readonly branches?: ReadonlyArray<{ readonly steps: readonly StepNode[] }>;
}

const issue = (path: string, message: string): InputIssue => ({ location: 'body', path, message });

/**
 * Calls `visit` for every step, those inside parallel branches too, in the order they are written
 * (a parallel step, then its branches' steps, then the step after it), with the step's path and
 * the parallel step it belongs to. Without recursion: how deep the recipe nests is up to its author.
 */
export function eachStep<S extends StepNode>(
  steps: readonly S[],
  visit: (step: S, path: string, parent: string | null, sequence: readonly S[], index: number) => void,
): void {
  const frames: Array<{ sequence: readonly S[]; base: string; parent: string | null; next: number }> = [
    { sequence: steps, base: 'steps', parent: null, next: 0 },
  ];
  while (frames.length > 0) {
    const frame = frames[frames.length - 1] as (typeof frames)[number];
    const i = frame.next++;
    const step = frame.sequence[i];
    if (step === undefined) {
      frames.pop();
      continue;
    }
    const path = `${frame.base}.${i}`;
    visit(step, path, frame.parent, frame.sequence, i);
    if (step.kind === 'parallel') {
      const branches = step.branches ?? [];
      // A branch holds steps of the same kind as the sequence around it.
      for (let j = branches.length - 1; j >= 0; j--)
        frames.push({
          sequence: (branches[j]?.steps ?? []) as readonly S[],
          base: `${path}.branches.${j}.steps`,
          parent: step.id,
          next: 0,
        });
    }
  }
}

/** Where each step is, and what a jump from one step to another may name. */
export interface StepIndex {
  /** Each step id's path (its first, when written twice). */
  readonly paths: ReadonlyMap<string, string>;
  /** Step ids written more than once, one issue per repeat. */
  readonly duplicates: readonly InputIssue[];
  /**
   * What is wrong with a jump from step `from` (at `path`) to `target`: no such step, or one in
   * another sequence (a jump stays within its own sequence or parallel branch). `allowEnd`: the
   * jump may name `end` to finish. Undefined when it is fine or names nothing.
   */
  jump(from: string, path: string, target: string | undefined, allowEnd: boolean): InputIssue | undefined;
}

/** Indexes the steps of a recipe as written (see `StepIndex`). */
export function indexSteps(steps: readonly StepNode[]): StepIndex {
  const paths = new Map<string, string>();
  const parents = new Map<string, string | null>();
  const duplicates: InputIssue[] = [];
  eachStep(steps, (s, path, parent) => {
    if (paths.has(s.id))
      duplicates.push(issue(`${path}.id`, `duplicate step id "${s.id}" (also at ${paths.get(s.id)})`));
    else {
      paths.set(s.id, path);
      parents.set(s.id, parent);
    }
  });
  return {
    paths,
    duplicates,
    jump(from, path, target, allowEnd) {
      if (target === undefined || (allowEnd && target === 'end')) return undefined;
      if (!paths.has(target))
        return issue(path, `there is no step "${target}"${allowEnd ? ' (use "end" to finish)' : ''}`);
      if (parents.get(target) !== parents.get(from))
        return issue(
          path,
          `"${target}" is in another sequence; a jump must stay within its own sequence (or parallel branch)`,
        );
      return undefined;
    },
  };
}

/** The steps a compiled step may go to next: its `next`, a branch's cases and else, an approval's `onReject`. */
export function stepEdges(step: Step | undefined): string[] {
  if (step === undefined) return [];
  const out = step.next === null ? [] : [step.next];
  if (step.kind === 'branch') out.push(...step.cases.map((c) => c.goto), ...(step.else === null ? [] : [step.else]));
  if (step.kind === 'approval' && step.onReject !== null) out.push(step.onReject);
  return out;
}

/** Whether an execution stops in the step until something outside it happens (a time, an event, a person). */
const waitsIn = (step: Step | undefined): boolean => step?.kind === 'wait' || step?.kind === 'approval';

/**
 * Strongly connected components of the step graph that loop without a wait or an approval (an
 * execution would go round them without end), one issue each at the path of its first step.
 */
export function cyclesWithoutWait(
  recipe: Pick<CompiledRecipe, 'steps'>,
  paths: ReadonlyMap<string, string>,
): InputIssue[] {
  const edges = (id: string): string[] => stepEdges(recipe.steps[id]);
  // Tarjan's algorithm without recursion: a chain of steps is as long as the recipe, and each
  // level of recursion would cost a stack frame.
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const problems: InputIssue[] = [];
  const open = (v: string): { v: string; out: string[]; next: number } => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    return { v, out: edges(v), next: 0 };
  };
  const close = (v: string) => {
    if (low.get(v) !== indices.get(v)) return;
    const component: string[] = [];
    let w: string | undefined;
    do {
      w = stack.pop();
      if (w !== undefined) {
        onStack.delete(w);
        component.push(w);
      }
    } while (w !== undefined && w !== v);
    const loops = component.length > 1 || edges(v).includes(v);
    if (loops && !component.some((id) => waitsIn(recipe.steps[id]))) {
      const ordered = component.reverse();
      problems.push(
        issue(
          paths.get(ordered[0] ?? '') ?? 'steps',
          `steps ${[...ordered, ordered[0]].join(' → ')} form a cycle without a wait or an approval`,
        ),
      );
    }
  };
  const strong = (root: string) => {
    const frames = [open(root)];
    while (frames.length > 0) {
      const frame = frames[frames.length - 1] as { v: string; out: string[]; next: number };
      const w = frame.out[frame.next++];
      if (w !== undefined) {
        if (!indices.has(w)) frames.push(open(w));
        else if (onStack.has(w)) low.set(frame.v, Math.min(low.get(frame.v) ?? 0, indices.get(w) ?? 0));
        continue;
      }
      frames.pop();
      close(frame.v);
      const parent = frames[frames.length - 1];
      if (parent !== undefined) low.set(parent.v, Math.min(low.get(parent.v) ?? 0, low.get(frame.v) ?? 0));
    }
  };
  for (const id of Object.keys(recipe.steps)) if (!indices.has(id)) strong(id);
  return problems;
}
