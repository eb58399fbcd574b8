import type { InputIssue } from '../../domain/errors.ts';
import type { CompiledRecipe } from '../../domain/orchestrator/recipe.ts';
import { expressionNames, parseExpression, templateExpressions } from './cel-expressions.ts';

/** What expressions may read. */
const scopeNames = new Set(['inputs', 'steps', 'event', 'execution']);
import type { AuthoredRecipe, AuthoredStep } from './recipe-schema.ts';

const issue = (path: string, message: string): InputIssue => ({ location: 'body', path, message });

/**
 * The checks a schema cannot express: unique ids, jumps to existing steps of the same sequence,
 * no cycle without a wait or an approval, and expressions and templates that parse. Without a
 * compiled recipe (the schema already failed) the cycle check is left out.
 */
export function checkRecipe(recipe: AuthoredRecipe, compiled: CompiledRecipe | null): InputIssue[] {
  const problems: InputIssue[] = [];
  const paths = new Map<string, string>();
  const parents = new Map<string, string | null>();
  const visit = (sequence: AuthoredStep[], base: string, parent: string | null) => {
    sequence.forEach((s, i) => {
      const path = `${base}.${i}`;
      if (paths.has(s.id)) problems.push(issue(`${path}.id`, `duplicate step id "${s.id}" (also at ${paths.get(s.id)})`));
      else {
        paths.set(s.id, path);
        parents.set(s.id, parent);
      }
      if (s.kind === 'parallel') s.branches.forEach((b, j) => visit(b.steps, `${path}.branches.${j}.steps`, s.id));
    });
  };
  visit(recipe.steps, 'steps', null);

  const checkTarget = (from: AuthoredStep, path: string, target: string | undefined, allowEnd: boolean) => {
    if (target === undefined || (allowEnd && target === 'end')) return;
    if (!paths.has(target)) problems.push(issue(path, `there is no step "${target}"${allowEnd ? ' (use "end" to finish)' : ''}`));
    else if (parents.get(target) !== parents.get(from.id)) problems.push(issue(path, `"${target}" is in another sequence; a jump must stay within its own sequence (or parallel branch)`));
  };
  const checkExpression = (path: string, expression: string | undefined) => {
    if (expression === undefined) return;
    const error = parseExpression(expression);
    if (error !== null) {
      problems.push(issue(path, error));
      return;
    }
    const unknown = expressionNames(expression).filter((name) => !scopeNames.has(name));
    if (unknown.length > 0) problems.push(issue(path, `"${expression}" reads ${unknown.map((n) => `"${n}"`).join(', ')}; expressions can read inputs, steps, event and execution`));
  };
  const checkTemplate = (path: string, template: unknown) => {
    if (typeof template === 'string') {
      let expressions: string[];
      try {
        expressions = templateExpressions(template);
      } catch (error) {
        problems.push(issue(path, error instanceof Error ? error.message : String(error)));
        return;
      }
      for (const e of expressions) checkExpression(path, e);
    } else if (Array.isArray(template)) template.forEach((v, i) => checkTemplate(`${path}.${i}`, v));
    else if (typeof template === 'object' && template !== null) for (const [k, v] of Object.entries(template)) checkTemplate(`${path}.${k}`, v);
  };

  const check = (sequence: AuthoredStep[]) => {
    for (const s of sequence) {
      const path = paths.get(s.id) ?? '';
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
        case 'parallel':
          for (const b of s.branches) check(b.steps);
          break;
      }
    }
  };
  check(recipe.steps);
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
      problems.push(issue(paths.get(ordered[0] ?? '') ?? 'steps', `steps ${[...ordered, ordered[0]].join(' → ')} form a cycle without a wait or an approval`));
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
