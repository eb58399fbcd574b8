import type { InputIssue } from '../../domain/errors.ts';
import { recipeLimits, type CompiledRecipe, type RecipeLimits } from '../../domain/orchestrator/recipe.ts';
import { cyclesWithoutWait, eachStep, indexSteps } from '../../domain/orchestrator/recipe-graph.ts';
import { expressionNames, parseExpression, templateExpressions } from './cel-expressions.ts';
import type { AuthoredRecipe, AuthoredStep } from './recipe-schema.ts';

// The graph rules (ids, jumps, loops) are the domain's; this adds what needs the CEL parser.
export { eachStep } from '../../domain/orchestrator/recipe-graph.ts';

/** What expressions may read. */
const scopeNames = new Set(['inputs', 'steps', 'event', 'execution']);

const issue = (path: string, message: string): InputIssue => ({ location: 'body', path, message });

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
  const steps = indexSteps(recipe.steps);
  const problems: InputIssue[] = [...steps.duplicates];
  const checkTarget = (from: AuthoredStep, path: string, target: string | undefined, allowEnd: boolean) => {
    const problem = steps.jump(from.id, path, target, allowEnd);
    if (problem !== undefined) problems.push(problem);
  };
  const checkExpression = (path: string, expression: string | undefined) => {
    if (expression === undefined) return;
    if (expression.length > limits.expressionLength) {
      problems.push(
        issue(
          path,
          `has an expression of ${expression.length} characters; ` +
            `an expression may have at most ${limits.expressionLength}`,
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
          `"${expression}" reads ${unknown.map((n) => `"${n}"`).join(', ')}; ` +
            'expressions can read inputs, steps, event and execution',
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
  if (problems.length === 0 && compiled !== null) problems.push(...cyclesWithoutWait(compiled, steps.paths));
  return problems;
}
