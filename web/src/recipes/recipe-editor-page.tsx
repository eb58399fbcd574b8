import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { Link, useBlocker, useNavigate, useParams } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { Recipe, RecipeVersion } from '../executions/types.ts';
import { useCurrentWorkspace } from '../shell/current-workspace.ts';
import { issueList, type Issue } from './issue-list.ts';
import type { SavedNote } from './saved-note.ts';
import '../executions/pages.css';
import './recipe-editor.css';

// CodeMirror, its YAML mode and the YAML parser are fetched only when this page opens.
const RecipeYamlEditor = lazy(() => import('./recipe-yaml-editor.tsx'));

/** What a new recipe starts from: the smallest recipe that runs, to be changed. */
const starter = `name: my-recipe
inputs:
  title: { type: string, required: true }
steps:
  - id: approve
    kind: approval
    prompt: "Go ahead with \${inputs.title}?"
`;

/**
 * `/recipes/new` and `/recipes/:id/edit`: a recipe's YAML in an editor; saving creates the recipe
 * (POST) or adds a version (PUT, the latest version's source loaded). A 400's issues are shown at
 * their paths in the editor and listed beside it; other refusals (403, 404, 409) above it.
 */
export function RecipeEditorPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const workspace = useCurrentWorkspace().workspace;
  const [recipe, setRecipe] = useState<(Recipe & { latest: RecipeVersion }) | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [issues, setIssues] = useState<readonly Issue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const text = useRef('');
  // The text as loaded, to know whether leaving would lose changes; `leaving` lets a save's own navigation pass.
  const loaded = useRef<string | null>(null);
  const leaving = useRef(false);
  const [dirty, setDirty] = useState(false);
  const blocker = useBlocker(
    ({ currentLocation, nextLocation }) =>
      !leaving.current &&
      text.current !== loaded.current &&
      loaded.current !== null &&
      currentLocation.pathname !== nextLocation.pathname,
  );

  useEffect(() => {
    if (!dirty) return;
    // Closing the tab or reloading: the browser's own question.
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);

  const changed = (value: string) => {
    text.current = value;
    loaded.current ??= value;
    setDirty(value !== loaded.current);
  };

  useEffect(() => {
    if (id === undefined) return;
    let live = true;
    setRecipe(null);
    void unwrap(api.GET('/v1/recipes/{id}', { params: { path: { id } } }))
      .then((view) => live && setRecipe(view))
      .catch((e: unknown) => live && setLoadError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [id]);

  const workspaceId = recipe?.workspaceId ?? workspace?.id;
  const back = `/recipes${workspaceId === undefined ? '' : `?workspace=${encodeURIComponent(workspaceId)}`}`;

  const save = async () => {
    if (workspaceId === undefined || busy) return;
    setBusy(true);
    setError(null);
    try {
      const yaml = text.current;
      const saved =
        id === undefined
          ? await unwrap(
              api.POST('/v1/workspaces/{wid}/recipes', { params: { path: { wid: workspaceId } }, body: { yaml } }),
            )
          : await unwrap(api.PUT('/v1/recipes/{id}', { params: { path: { id } }, body: { yaml } }));
      setIssues([]);
      leaving.current = true;
      const note: SavedNote = { saved: `Saved “${saved.name}” v${saved.latestVersion}` };
      void navigate(`/recipes?workspace=${encodeURIComponent(saved.workspaceId)}`, { state: note });
    } catch (e) {
      const found = issueList(e);
      setIssues(found);
      setError(
        found.length > 0
          ? `Not saved: the server found ${found.length} ${found.length === 1 ? 'problem' : 'problems'}` +
              ` (listed beside the editor and underlined in it).`
          : messageOf(e),
      );
    } finally {
      setBusy(false);
    }
  };

  const editing = id !== undefined;
  const ready = !editing || recipe !== null;
  return (
    <main className="console-page recipe-editor-page">
      <h1>{editing ? (recipe === null ? 'Edit recipe' : `Edit “${recipe.name}”`) : 'New recipe'}</h1>
      {recipe === null ? null : (
        <p className="hint">
          Saving adds version {recipe.latestVersion + 1}; running executions keep the version they started with.
          {recipe.archivedAt === null ? null : ' This recipe is archived: restore it on Recipes to run it again.'}
        </p>
      )}
      {loadError === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {loadError}
        </p>
      )}
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {ready && loadError === null ? (
        <Suspense fallback={<p role="status">Loading the editor…</p>}>
          <RecipeYamlEditor
            key={id ?? 'new'}
            initial={recipe === null ? starter : recipe.latest.source}
            issues={issues}
            label={editing ? `YAML of ${recipe?.name ?? 'the recipe'}` : 'YAML of the new recipe'}
            onChange={changed}
            onSave={() => void save()}
          />
        </Suspense>
      ) : loadError === null ? (
        <p role="status">Loading…</p>
      ) : null}
      {blocker.state === 'blocked' ? (
        <div role="alert" className="panel">
          <p>The changes in the editor are not saved. Leave without saving them?</p>
          <div className="button-row">
            <button type="button" className="button" onClick={() => blocker.proceed()}>
              Leave without saving
            </button>
            <button type="button" className="button primary" onClick={() => blocker.reset()}>
              Stay
            </button>
          </div>
        </div>
      ) : null}
      <div className="button-row">
        <button
          type="button"
          className="button primary"
          disabled={busy || !ready || loadError !== null || workspaceId === undefined}
          onClick={() => void save()}
        >
          {editing ? 'Save new version' : 'Create recipe'}
        </button>
        <Link to={back}>Cancel</Link>
      </div>
    </main>
  );
}
