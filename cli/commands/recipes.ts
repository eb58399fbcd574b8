import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { ApiError, path } from '../http.ts';
import { table, when } from '../output.ts';
import { formatProblems, placeRecipeProblems, recipeIssues, recipeName } from '../recipe-problems.ts';
import { recipeId, workspaceId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

type RecipeView = Schema<'RecipeWithLatestVersion'>;
const workspaceHelp = "the workspace (default: BATON_WORKSPACE, the context's, or your only one)";

/** `baton recipes ls|push|validate|versions|templates`. */
export function registerRecipes(program: Command, runtime: Runtime): void {
  const recipes = program
    .command('recipes')
    .description('Recipes: the workflows executions run (YAML files, versioned on the server)');
  recipes
    .command('ls')
    .description('List the recipes of a workspace')
    .option('--archived', 'the archived recipes instead')
    .option('--workspace <id|name>', workspaceHelp)
    .action(async (opts: { archived?: boolean; workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const wid = await workspaceId(connection, opts.workspace, runtime.env);
      const body = await connection.api.get<{ recipes: Array<Schema<'Recipe'>> }>(
        path('/v1/workspaces/{wid}/recipes', { wid }),
        { archived: opts.archived === true ? 'true' : undefined },
      );
      runtime.print(command, body, () =>
        table(
          ['ID', 'NAME', 'VERSION', 'UPDATED'],
          body.recipes.map((r) => [r.id, r.name, r.latestVersion, when(r.updatedAt)]),
        ),
      );
    });
  recipes
    .command('push <file>')
    .description(
      'Send a recipe file (YAML or JSON): a new version of the recipe with its name ' +
        '(or --recipe), else a new recipe. Problems are shown at their lines in the file',
    )
    .option('--recipe <id|name>', 'add the version to this recipe instead of the one named in the file')
    .option('--create', 'always create a new recipe')
    .option('--workspace <id|name>', workspaceHelp)
    .action(async (file: string, opts: { recipe?: string; create?: boolean; workspace?: string }, command: Command) => {
      const text = await readText(file);
      const connection = await runtime.connect(command);
      let target: string | undefined;
      if (opts.recipe !== undefined) target = await recipeId(connection, opts.recipe, opts.workspace, runtime.env);
      else if (opts.create !== true) {
        const name = recipeName(text);
        if (name !== undefined) {
          const wid = await workspaceId(connection, opts.workspace, runtime.env);
          const { recipes: list } = await connection.api.get<{ recipes: Array<Schema<'Recipe'>> }>(
            path('/v1/workspaces/{wid}/recipes', { wid }),
          );
          target = list.find((r) => r.name === name)?.id;
        }
      }
      let saved: RecipeView;
      try {
        if (target !== undefined)
          saved = await connection.api.put<RecipeView>(path('/v1/recipes/{id}', { id: target }), { yaml: text });
        else {
          const wid = await workspaceId(connection, opts.workspace, runtime.env);
          saved = await connection.api.post<RecipeView>(path('/v1/workspaces/{wid}/recipes', { wid }), { yaml: text });
        }
      } catch (error) {
        if (error instanceof ApiError && error.status === 400) throw invalid(file, text, error, runtime, command);
        throw error;
      }
      runtime.print(command, saved, () => `${saved.name}: version ${saved.latestVersion} (${saved.id})`);
    });
  recipes
    .command('validate <file>')
    .description(
      'Check a recipe file without saving it (YAML here, the ' +
        'recipe on the server); each problem at its line in the file',
    )
    .option('--workspace <id|name>', workspaceHelp)
    .action(async (file: string, opts: { workspace?: string }, command: Command) => {
      const text = await readText(file);
      // A syntax error needs no server: shown at its line as the parser found it.
      const syntax = placeRecipeProblems(text, []);
      if (syntax.length > 0) {
        runtime.print(
          command,
          { valid: false, problems: syntax.map((p) => ({ path: p.path, message: p.message, line: p.line })) },
          () => formatProblems(file, syntax),
        );
        runtime.exitCode = exitCodes.error;
        return;
      }
      const connection = await runtime.connect(command);
      const wid = await workspaceId(connection, opts.workspace, runtime.env);
      try {
        const result = await connection.api.post<{ valid: true; name: string }>(
          path('/v1/workspaces/{wid}/recipes/validate', { wid }),
          { yaml: text },
        );
        runtime.print(command, result, () => `${file}: a valid recipe ("${result.name}")`);
      } catch (error) {
        if (error instanceof ApiError && error.status === 400) throw invalid(file, text, error, runtime, command);
        throw error;
      }
    });
  recipes
    .command('versions <recipe>')
    .description('Every version of a recipe (id or name), newest first')
    .option('--workspace <id|name>', 'the workspace, to find a recipe by name')
    .action(async (given: string, opts: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const id = await recipeId(connection, given, opts.workspace, runtime.env);
      const body = await connection.api.get<{ versions: Array<Schema<'RecipeVersion'>> }>(
        path('/v1/recipes/{id}/versions', { id }),
      );
      runtime.print(command, body, () =>
        table(
          ['VERSION', 'CREATED', 'BY'],
          body.versions.map((v) => [v.version, when(v.createdAt), v.createdBy]),
        ),
      );
    });
  recipes
    .command('templates')
    .description('Recipe templates: shipped with Baton and published in the workspace')
    .option('--workspace <id|name>', workspaceHelp)
    .action(async (opts: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const wid = await workspaceId(connection, opts.workspace, runtime.env);
      const body = await connection.api.get<{ templates: Array<Schema<'RecipeTemplate'>> }>(
        path('/v1/workspaces/{wid}/templates', { wid }),
      );
      runtime.print(command, body, () =>
        table(
          ['ID', 'NAME', 'ORIGIN', 'DESCRIPTION'],
          body.templates.map((t) => [t.id, t.name, t.origin, t.description.split('\n')[0]]),
        ),
      );
    });
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(
      `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? exitCodes.notFound : exitCodes.error,
    );
  }
}

/**
 * The server's 400 as lines of the file; with --json, the API's error body unchanged on stdout plus each issue's line.
 */
function invalid(file: string, text: string, error: ApiError, runtime: Runtime, command: Command): CliError {
  const problems = placeRecipeProblems(text, recipeIssues(error));
  if (runtime.options(command).json) {
    const placed = problems.map((p) => ({ path: p.path, message: p.message, line: p.line }));
    runtime.io.stdout.write(`${JSON.stringify({ ...(error.body as object), problems: placed }, null, 2)}\n`);
    return new CliError(`${file} is not a valid recipe`, exitCodes.error);
  }
  return new CliError(`${file} is not a valid recipe:\n${formatProblems(file, problems)}`, exitCodes.error);
}
