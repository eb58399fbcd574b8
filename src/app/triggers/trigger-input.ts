import type { Principal } from '../../domain/access/principal.ts';
import { ConflictError, InvalidInputError, NotFoundError, type InputIssue } from '../../domain/errors.ts';
import type { TriggerAction } from '../../ports/triggers.ts';
import { requireDashboard } from '../access.ts';
import { expressionNames, parseExpression } from '../orchestrator/cel-expressions.ts';
import { requireRecipe } from '../orchestrator/recipes.ts';
import type { TriggerDeps } from './trigger-deps.ts';

/** What a trigger's filter and input expressions may read. */
export const eventScopeName = 'event';

/**
 * Problems with a trigger's expressions (a 400 naming each field): each must parse and read only
 * `event` (`{ source, name, deliveryId, payload, receivedAt }`).
 */
export function expressionIssues(input: {
  readonly filter?: string | null;
  readonly action?: TriggerAction;
}): InputIssue[] {
  const issues: InputIssue[] = [];
  const check = (expression: string, path: string) => {
    const problem = parseExpression(expression);
    if (problem !== null) {
      issues.push({ location: 'body', path, message: problem });
      return;
    }
    const others = expressionNames(expression).filter((name) => name !== eventScopeName);
    if (others.length > 0)
      issues.push({
        location: 'body',
        path,
        message:
          `may only read "${eventScopeName}" (source, name, deliveryId, ` +
          `payload, receivedAt), not ${others.map((n) => `"${n}"`).join(', ')}`,
      });
  };
  if (typeof input.filter === 'string') check(input.filter, 'filter');
  if (input.action?.kind === 'start')
    for (const [name, expression] of Object.entries(input.action.inputs)) check(expression, `action.inputs.${name}`);
  return issues;
}

/**
 * Checks that a start action may be created by `principal` in the workspace: the recipe lives there,
 * the principal controls executions on the dashboard (which lives there too, not archived), and the
 * inputs name only declared inputs and give every required one. Their types are checked when the
 * trigger fires, since they come from the event.
 */
export async function checkStartAction(
  deps: TriggerDeps,
  principal: Principal,
  workspaceId: string,
  action: Extract<TriggerAction, { kind: 'start' }>,
): Promise<void> {
  const recipe = await requireRecipe(deps.ctx, principal, action.recipeId, 'workspace.read');
  if (recipe.workspaceId !== workspaceId) throw new NotFoundError('Recipe');
  const { dashboard } = await requireDashboard(deps.ctx, principal, action.dashboardId, 'execution.control');
  if (dashboard.workspaceId !== workspaceId) throw new NotFoundError('Dashboard');
  if (dashboard.archivedAt !== null) throw new ConflictError('The dashboard is archived; restore it first');
  const version = await deps.ctx.recipes.version(recipe.id, recipe.latestVersion);
  if (version === undefined) throw new ConflictError('The recipe has no versions');
  const declared = version.compiled.inputs;
  const issues: InputIssue[] = [];
  for (const name of Object.keys(action.inputs))
    if (!Object.hasOwn(declared, name))
      issues.push({ location: 'body', path: `action.inputs.${name}`, message: 'the recipe declares no such input' });
  for (const [name, spec] of Object.entries(declared)) {
    if (spec.required && spec.default === undefined && !Object.hasOwn(action.inputs, name))
      issues.push({
        location: 'body',
        path: `action.inputs.${name}`,
        message: `is required by the recipe (${spec.type})`,
      });
  }
  if (issues.length > 0) throw new InvalidInputError(issues);
}
