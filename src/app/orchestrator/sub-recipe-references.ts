import { InvalidInputError, type InputIssue } from '../../domain/errors.ts';
import type { CompiledRecipe, InputSpec, RecipeStep } from '../../domain/orchestrator/recipe.ts';
import type { Recipe } from '../../ports/recipes.ts';
import type { AppContext } from '../context.ts';
import { eachStep } from './recipe-graph.ts';
import type { AuthoredRecipe } from './recipe-schema.ts';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Resolves the recipes that recipe steps run, in the recipe's workspace, as it is saved: each
 * reference (an id, or the name of one recipe that is not archived) becomes the step's `recipeId`.
 * Refused with the path of each problem (a 400): a recipe that is not in the workspace (another
 * workspace's is not visible), an archived one, the recipe itself, a name several recipes share, and
 * inputs the child's latest version does not declare or requires and are not given, or literal
 * values of the wrong type (a template's type is only known when it runs, and checked then).
 * `self` is the recipe being saved (`id` null while it is created).
 */
export async function resolveSubRecipes(
  ctx: Pick<AppContext, 'recipes'>,
  workspaceId: string,
  authored: AuthoredRecipe,
  compiled: CompiledRecipe,
  self: { id: string | null; name: string },
): Promise<CompiledRecipe> {
  const references: Array<{ step: RecipeStep; path: string }> = [];
  eachStep(authored.steps, (s, path) => {
    const step = compiled.steps[s.id];
    if (s.kind === 'recipe' && step?.kind === 'recipe') references.push({ step, path });
  });
  if (references.length === 0) return compiled;
  let named: Recipe[] | undefined;
  const problems: InputIssue[] = [];
  const steps = { ...compiled.steps };
  for (const { step, path } of references) {
    const at = (more: string, message: string) => problems.push({ location: 'body', path: `${path}${more}`, message });
    const ref = step.recipe;
    if ((self.id !== null && ref === self.id) || ref === self.name) {
      at('.recipe', 'a recipe cannot run itself');
      continue;
    }
    let found: Recipe | undefined;
    if (uuid.test(ref)) {
      const byId = await ctx.recipes.get(ref);
      found = byId?.workspaceId === workspaceId ? byId : undefined;
    } else {
      named ??= [
        ...(await ctx.recipes.list(workspaceId)),
        ...(await ctx.recipes.list(workspaceId, { archived: true })),
      ];
      const matches = named.filter((r) => r.name === ref);
      const open = matches.filter((r) => r.archivedAt === null);
      if (open.length > 1) {
        at('.recipe', `${open.length} recipes are named "${ref}"; name the one to run by its id`);
        continue;
      }
      found = open[0] ?? matches[0];
    }
    if (found === undefined) {
      at('.recipe', `there is no recipe "${ref}" in this workspace`);
      continue;
    }
    if (found.id === self.id) {
      at('.recipe', 'a recipe cannot run itself');
      continue;
    }
    if (found.archivedAt !== null) {
      at('.recipe', `the recipe "${found.name}" is archived; restore it first`);
      continue;
    }
    const latest = await ctx.recipes.version(found.id, found.latestVersion);
    if (latest !== undefined) problems.push(...inputProblems(step, latest.compiled.inputs, found, path));
    steps[step.id] = { ...step, recipeId: found.id };
  }
  if (problems.length > 0) throw new InvalidInputError(problems);
  return { ...compiled, steps };
}

/** Inputs the child does not declare, required ones not given, and literal values of the wrong type. */
function inputProblems(
  step: RecipeStep,
  declared: Readonly<Record<string, InputSpec>>,
  child: Recipe,
  path: string,
): InputIssue[] {
  const problems: InputIssue[] = [];
  const issue = (more: string, message: string) =>
    problems.push({ location: 'body', path: `${path}.inputs${more}`, message });
  for (const [name, value] of Object.entries(step.inputs)) {
    const spec = declared[name];
    if (spec === undefined) {
      issue(`.${name}`, `the recipe "${child.name}" declares no input "${name}"`);
      continue;
    }
    if (typeof value === 'string' && value.includes('${')) continue;
    const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    if (actual !== spec.type) issue(`.${name}`, `the recipe "${child.name}" expects a ${spec.type}, got ${actual}`);
  }
  const missing = Object.entries(declared).filter(
    ([name, spec]) => spec.required && spec.default === undefined && step.inputs[name] === undefined,
  );
  if (missing.length > 0)
    issue(
      '',
      `the recipe "${child.name}" requires ${missing.map(([name, spec]) => `"${name}" (${spec.type})`).join(', ')}`,
    );
  return problems;
}
