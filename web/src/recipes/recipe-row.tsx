import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { when } from '../executions/format.ts';
import type { Recipe } from '../executions/types.ts';
import { RecipeVersions } from './recipe-versions.tsx';

/**
 * One recipe in /recipes: Run, Edit (a new version) and Publish as template while it is active;
 * Archive or Restore, with the server's reason when refused; its versions on request.
 */
export function RecipeRow({
  recipe,
  onRun,
  onPublish,
  onChanged,
}: {
  recipe: Recipe;
  onRun: () => void;
  onPublish: () => void;
  onChanged: () => void;
}) {
  const [outcome, setOutcome] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const archived = recipe.archivedAt !== null;

  const toggleArchive = async () => {
    setBusy(true);
    setOutcome(null);
    try {
      const path = { id: recipe.id };
      await unwrap(
        archived
          ? api.POST('/v1/recipes/{id}/restore', { params: { path } })
          : api.POST('/v1/recipes/{id}/archive', { params: { path } }),
      );
      onChanged();
    } catch (e) {
      setOutcome(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li data-recipe={recipe.id}>
      <strong>{recipe.name}</strong>
      <span className="hint" data-testid="recipe-version">
        v{recipe.latestVersion} · updated {when(recipe.updatedAt)}
      </span>
      {archived ? <span className="badge">archived</span> : null}
      <span className="button-row">
        {archived ? null : (
          <>
            <button type="button" className="button primary" onClick={onRun}>
              Run <span className="visually-hidden">{recipe.name}</span>
            </button>
            <Link
              className="button"
              to={`/recipes/${recipe.id}/edit?workspace=${encodeURIComponent(recipe.workspaceId)}`}
            >
              Edit <span className="visually-hidden">{recipe.name}</span>
            </Link>
            <button type="button" className="button" onClick={onPublish}>
              Publish as template <span className="visually-hidden">{recipe.name}</span>
            </button>
          </>
        )}
        <button type="button" className="button" disabled={busy} onClick={() => void toggleArchive()}>
          {archived ? 'Restore' : 'Archive'} <span className="visually-hidden">{recipe.name}</span>
        </button>
      </span>
      {outcome === null ? null : (
        <p role="alert" className="outcome outcome-refused">
          {outcome}
        </p>
      )}
      <div className="meta">
        <RecipeVersions recipeId={recipe.id} />
      </div>
    </li>
  );
}
