import type { Schema } from '../client/api.ts';
import { CliError, exitCodes } from './exit-codes.ts';
import { path } from './http.ts';
import type { Connection } from './runtime.ts';

/** GET /v1/me's answer. */
export interface Me {
  authentication: { via: 'session' | 'token'; scopes: string[]; tokenId?: string; dashboardId?: string };
  user: Schema<'User'>;
  workspaces: Array<Schema<'Workspace'>>;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for an id (a UUID), false for a name. */
export function isId(value: string): boolean {
  return uuid.test(value);
}

/**
 * The workspace a command works in: `--workspace` (id or name), else `BATON_WORKSPACE`, else the
 * context's, else the only one you belong to. Several and none named: a usage error listing them.
 */
export async function workspaceId(
  connection: Connection,
  given: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const wanted = given ?? (env.BATON_WORKSPACE || undefined) ?? connection.workspace;
  if (wanted !== undefined && isId(wanted)) return wanted;
  const me = await connection.api.get<Me>('/v1/me');
  if (wanted !== undefined) {
    const found = me.workspaces.filter((w) => w.name === wanted);
    if (found.length === 1 && found[0] !== undefined) return found[0].id;
    throw new CliError(
      found.length === 0
        ? `No workspace named "${wanted}" (yours: ${names(me)})`
        : `Several workspaces are named "${wanted}": give its id`,
      found.length === 0 ? exitCodes.notFound : exitCodes.usage,
    );
  }
  const only = me.workspaces[0];
  if (me.workspaces.length === 1 && only !== undefined) return only.id;
  if (me.workspaces.length === 0)
    throw new CliError(
      'You belong to no workspace yet: create one in the console or with POST /v1/workspaces',
      exitCodes.notFound,
    );
  throw new CliError(
    `You belong to several workspaces: pass --workspace <id or name> (or set BATON_WORKSPACE): ${names(me)}`,
    exitCodes.usage,
  );
}

function names(me: Me): string {
  return me.workspaces.map((w) => `"${w.name}"`).join(', ') || 'none';
}

/** A dashboard by id, or by its name in the workspace. */
export async function dashboardId(
  connection: Connection,
  given: string,
  workspace: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (isId(given)) return given;
  const wid = await workspaceId(connection, workspace, env);
  const { dashboards } = await connection.api.get<{ dashboards: Array<Schema<'Dashboard'>> }>(
    path('/v1/workspaces/{wid}/dashboards', { wid }),
  );
  return byName(dashboards, given, 'dashboard');
}

/** A recipe by id, or by its name in the workspace. */
export async function recipeId(
  connection: Connection,
  given: string,
  workspace: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  if (isId(given)) return given;
  const wid = await workspaceId(connection, workspace, env);
  const { recipes } = await connection.api.get<{ recipes: Array<Schema<'Recipe'>> }>(
    path('/v1/workspaces/{wid}/recipes', { wid }),
  );
  return byName(recipes, given, 'recipe');
}

function byName(list: ReadonlyArray<{ id: string; name: string }>, name: string, what: string): string {
  const found = list.filter((entry) => entry.name === name);
  if (found.length === 1 && found[0] !== undefined) return found[0].id;
  if (found.length === 0) throw new CliError(`No ${what} named "${name}"`, exitCodes.notFound);
  throw new CliError(
    `Several ${what}s are named "${name}": give its id (${found.map((f) => f.id).join(', ')})`,
    exitCodes.usage,
  );
}
