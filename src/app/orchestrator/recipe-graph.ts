import type { InputIssue } from '../../domain/errors.ts';
import { recipeLimits, type CompiledRecipe, type RecipeLimits } from '../../domain/orchestrator/recipe.ts';
import { expressionNames, parseExpression, templateExpressions } from './cel-expressions.ts';
import type { AuthoredRecipe, AuthoredStep } from './recipe-schema.ts';

/** What expressions may read. */
const scopeNames = new Set(['inputs', 'steps', 'event', 'execution']);

const issue = (path: string, message: string): InputIssue => ({ location: 'body', path, message });

/**
 * Calls `visit` for every step, those inside parallel branches too, in the order they are written
 * (a parallel step, then its branches' steps, then the step after it), with the step's path and
 * the parallel step it belongs to. Without recursion: how deep the recipe nests is up to its author.
 */
export function eachStep(
  steps: readonly AuthoredStep[],
  visit: (
    step: AuthoredStep,
    path: string,
    parent: string | null,
    sequence: readonly AuthoredStep[],
    index: number,
  ) => void,
): void {
  const frames: Array<{ sequence: readonly AuthoredStep[]; base: string; parent: string | null; next: number }> = [
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
      for (let j = step.branches.length - 1; j >= 0; j--)
        frames.push({
          sequence: step.branches[j]?.steps ?? [],
          base: `${path}.branches.${j}.steps`,
          parent: step.id,
          next: 0,
        });
    }
  }
}

/**
 * The checks a schema cannot express: unique ids, jumps to existing steps of the same sequence,
 * no cycle without a wait or an approval, and expressions and templates that parse and are no
 * longer than `limits.expressionLength`. Without a compiled recipe (the schema already failed) the
 * cycle check is left out.
 */
export function checkRecipe(
  recipe: AuthoredRecipe,
  compiled: CompiledRecipe | null,
  limits: RecipeLimits = recipeLimits,
): InputIssue[] {
  const problems: InputIssue[] = [];
  const paths = new Map<string, string>();
  const parents = new Map<string, string | null>();
  eachStep(recipe.steps, (s, path, parent) => {
    if (paths.has(s.id)) problems.push(issue(`${path}.id`, `duplicate step id "${s.id}" (also at ${paths.get(s.id)})`));
    else {
      paths.set(s.id, path);
      parents.set(s.id, parent);
    }
  });

  const checkTarget = (from: AuthoredStep, path: string, target: string | undefined, allowEnd: boolean) => {
    if (target === undefined || (allowEnd && target === 'end')) return;
    if (!paths.has(target))
      problems.push(issue(path, `there is no step "${target}"${allowEnd ? ' (use "end" to finish)' : ''}`));
    else if (parents.get(target) !== parents.get(from.id))
      problems.push(
        issue(
          path,
          `"${target}" is in another sequence; a jump must stay within its own sequence (or parallel branch)`,
        ),
      );
  };
  const checkExpression = (path: string, expression: string | undefined) => {
    if (expression === undefined) return;
    if (expression.length > limits.expressionLength) {
      problems.push(
        issue(
          path,
          `has an expression of ${expression.length} characters; an expression may have at most ${limits.expressionLength}`,
        ),
      );
      return;
    }
    const error = parseExpression(expression);
    if (error !== null) {
      problems.push(issue(path, error));
      return;
    }
    const unknown = expressionNames(expression).filter((name) => !scopeNames.has(name));
    if (unknown.length > 0)
      problems.push(
        issue(
          path,
          `"${expression}" reads ${unknown.map((n) => `"${n}"`).join(', ')}; expressions can read inputs, steps, event and execution`,
        ),
      );
  };
  // A step's input is JSON as deep as the text policy allows: walked without recursion, in order.
  const checkTemplate = (root: string, template: unknown) => {
    const pending: Array<{ path: string; value: unknown }> = [{ path: root, value: template }];
    while (pending.length > 0) {
      const { path, value } = pending.pop() as { path: string; value: unknown };
      if (typeof value === 'string') {
        let expressions: string[];
        try {
          expressions = templateExpressions(value);
        } catch (error) {
          problems.push(issue(path, error instanceof Error ? error.message : String(error)));
          continue;
        }
        for (const e of expressions) checkExpression(path, e);
      } else if (typeof value === 'object' && value !== null) {
        const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
        for (let i = entries.length - 1; i >= 0; i--) {
          const [key, child] = entries[i] as readonly [string, unknown];
          pending.push({ path: `${path}.${key}`, value: child });
        }
      }
    }
  };

  eachStep(recipe.steps, (s, path) => {
    checkTarget(s, `${path}.next`, s.next, true);
    switch (s.kind) {
      case 'agent':
        checkTemplate(`${path}.prompt`, s.prompt);
        checkTemplate(`${path}.input`, s.input);
        break;
      case 'approval':
        checkTemplate(`${path}.prompt`, s.prompt);
        checkTarget(s, `${path}.onReject`, s.onReject, true);
        break;
      case 'wait':
        checkExpression(`${path}.until`, s.until);
        checkExpression(`${path}.event.match`, s.event?.match);
        break;
      case 'branch':
        s.cases.forEach((c, i) => {
          checkExpression(`${path}.cases.${i}.if`, c.if);
          checkTarget(s, `${path}.cases.${i}.goto`, c.goto, false);
        });
        checkTarget(s, `${path}.else`, s.else, true);
        break;
      case 'notify':
        checkTemplate(`${path}.message`, s.message);
        break;
      case 'recipe':
        checkTemplate(`${path}.inputs`, s.inputs);
        break;
    }
  });
  checkTemplate('summary', recipe.summary);
  if (problems.length === 0 && compiled !== null) problems.push(...cyclesWithoutWait(compiled, paths));
  return problems;
}

/** Strongly connected components of the step graph that loop without a wait or an approval. */
function cyclesWithoutWait(recipe: CompiledRecipe, paths: Map<string, string>): InputIssue[] {
  const edges = (id: string): string[] => {
    const step = recipe.steps[id];
    if (step === undefined) return [];
    const out = step.next === null ? [] : [step.next];
    if (step.kind === 'branch') out.push(...step.cases.map((c) => c.goto), ...(step.else === null ? [] : [step.else]));
    if (step.kind === 'approval' && step.onReject !== null) out.push(step.onReject);
    return out;
  };
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
    if (loops && !component.some((id) => recipe.steps[id]?.kind === 'wait' || recipe.steps[id]?.kind === 'approval')) {
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
