import { useCallback, useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { Dashboard, Recipe, RecipeVersion } from '../executions/types.ts';
import { useCurrentWorkspace } from '../shell/current-workspace.ts';
import { PublishDialog } from '../templates/publish-dialog.tsx';
import { RecipeRow } from './recipe-row.tsx';
import { RunDialog } from './run-dialog.tsx';
import { useSavedNote } from './saved-note.ts';
import '../executions/pages.css';

/**
 * `/recipes`: the workspace's recipes (archived ones on request), their versions, running one,
 * writing one (new, edit), archiving and restoring, and publishing one as a template.
 */
export function RecipesPage() {
  const workspaceId = useCurrentWorkspace().workspace?.id ?? null;
  const [recipes, setRecipes] = useState<Recipe[] | null>(null);
  const [dashboards, setDashboards] = useState<Dashboard[]>([]);
  const [showArchived, setShowArchived] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState<{ recipe: Recipe; latest: RecipeVersion } | null>(null);
  const [publishing, setPublishing] = useState<Recipe | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  const saved = useSavedNote();
  const query = workspaceId === null ? '' : `?workspace=${encodeURIComponent(workspaceId)}`;

  useEffect(() => {
    if (workspaceId === null) return;
    let live = true;
    const path = { wid: workspaceId };
    setRecipes(null);
    void Promise.all([
      unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path } })),
      showArchived
        ? unwrap(api.GET('/v1/workspaces/{wid}/recipes', { params: { path, query: { archived: 'true' } } }))
        : Promise.resolve({ recipes: [] as Recipe[] }),
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
  }, [workspaceId, showArchived, generation]);

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
      <p className="button-row">
        <Link className="button primary" to={`/recipes/new${query}`}>
          New recipe
        </Link>
        <Link to={`/templates${query}`}>Start from a template</Link>
      </p>
      <p role="status" className="outcome outcome-ok" data-testid="recipes-note">
        {note ?? saved ?? ''}
      </p>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      <label className="check">
        <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.target.checked)} /> Show
        archived recipes
      </label>
      {recipes === null && error === null ? <p role="status">Loading…</p> : null}
      {recipes !== null && recipes.length === 0 ? <p>No recipes in this workspace yet.</p> : null}
      <ul className="plain card-list">
        {(recipes ?? []).map((recipe) => (
          <RecipeRow
            key={recipe.id}
            recipe={recipe}
            onRun={() => void openRun(recipe)}
            onPublish={() => setPublishing(recipe)}
            onChanged={() => setGeneration((g) => g + 1)}
          />
        ))}
      </ul>
      {running === null ? null : (
        <RunDialog
          recipeId={running.recipe.id}
          recipeName={running.recipe.name}
          latest={running.latest}
          dashboards={dashboards}
          onClose={() => setRunning(null)}
        />
      )}
      {publishing === null ? null : (
        <PublishDialog
          recipeId={publishing.id}
          recipeName={publishing.name}
          onClose={() => setPublishing(null)}
          onPublished={(name) => {
            setPublishing(null);
            setNote(`Published “${name}” as a template of this workspace (see Templates).`);
          }}
        />
      )}
    </main>
  );
}
