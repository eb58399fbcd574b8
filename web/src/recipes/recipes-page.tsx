import { useCallback, useEffect, useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { when } from '../executions/format.ts';
import type { Dashboard, Recipe, RecipeVersion } from '../executions/types.ts';
import { useCurrentWorkspace } from '../shell/current-workspace.ts';
import { RecipeVersions } from './recipe-versions.tsx';
import { RunDialog } from './run-dialog.tsx';
import '../executions/pages.css';

/** `/recipes`: the workspace's recipes (archived ones on request), their versions, and running one. */
export function RecipesPage() {
  const workspaceId = useCurrentWorkspace().workspace?.id ?? null;
  const [recipes, setRecipes] = useState<Recipe[] | null>(null);
  const [dashboards, setDashboards] = useState<Dashboard[]>([]);
  const [showArchived, setShowArchived] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState<{ recipe: Recipe; latest: RecipeVersion } | null>(null);

  useEffect(() => {
    if (workspaceId === null) return;
    let live = true;
    const path = { wid: workspaceId };
    setRecipes(null);
    void Promise.all([
      unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path } })),
      showArchived ? unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path, query: { archived: 'true' } } })) : Promise.resolve({ recipes: [] as Recipe[] }),
      unwrap(api.GET('/v1/workspaces/{wid}/dashboards', { params: { path } })),
    ])
      .then(([active, archived, boards]) => {
        if (!live) return;
        setRecipes([...active.recipes, ...archived.recipes]);
        setDashboards(boards.dashboards);
        setError(null);
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [workspaceId, showArchived]);

  const openRun = useCallback(async (recipe: Recipe) => {
    try {
      const view = await unwrap(api.GET('/v1/recipes/{id}', { params: { path: { id: recipe.id } } }));
      setRunning({ recipe, latest: view.latest });
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);

  return (
    <main className="console-page recipes-page">
      <h1>Recipes</h1>
      {error === null ? null : <p role="alert" className="outcome outcome-error">{error}</p>}
      <label className="check">
        <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} /> Show archived recipes
      </label>
      {recipes === null && error === null ? <p role="status">Loading…</p> : null}
      {recipes !== null && recipes.length === 0 ? <p>No recipes in this workspace yet.</p> : null}
      <ul className="plain card-list">
        {(recipes ?? []).map((recipe) => (
          <li key={recipe.id} data-recipe={recipe.id}>
            <strong>{recipe.name}</strong>
            <span className="hint">v{recipe.latestVersion} · updated {when(recipe.updatedAt)}</span>
            {recipe.archivedAt === null ? (
              <button type="button" className="primary" onClick={() => void openRun(recipe)}>
                Run <span className="visually-hidden">{recipe.name}</span>
              </button>
            ) : (
              <span className="badge">archived</span>
            )}
            <div className="meta">
              <RecipeVersions recipeId={recipe.id} />
            </div>
          </li>
        ))}
      </ul>
      {running === null ? null : <RunDialog recipeId={running.recipe.id} recipeName={running.recipe.name} latest={running.latest} dashboards={dashboards} onClose={() => setRunning(null)} />}
    </main>
  );
}
