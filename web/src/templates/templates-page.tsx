import { useEffect, useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { useCurrentWorkspace } from '../shell/current-workspace.ts';
import { TemplateCard } from './template-card.tsx';
import { UseTemplateDialog, type Template } from './use-template-dialog.tsx';
import '../executions/pages.css';
import './templates.css';

/**
 * `/templates`: the templates shipped with Baton and the workspace's own (recipes published with
 * declared parameters), each with its description and parameters; "Use template" makes a recipe
 * from one, and the workspace's own can be deleted.
 */
export function TemplatesPage() {
  const workspaceId = useCurrentWorkspace().workspace?.id ?? null;
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [using, setUsing] = useState<Template | null>(null);
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    if (workspaceId === null) return;
    let live = true;
    void unwrap(api.GET('/v1/workspaces/{wid}/templates', { params: { path: { wid: workspaceId } } }))
      .then((page) => {
        if (!live) return;
        setTemplates(page.templates);
        setError(null);
      })
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [workspaceId, generation]);

  const shipped = (templates ?? []).filter((t) => t.origin === 'shipped');
  const own = (templates ?? []).filter((t) => t.origin === 'workspace');
  const card = (t: Template) => (
    <TemplateCard
      key={t.id}
      template={t}
      workspaceId={workspaceId ?? ''}
      onUse={() => setUsing(t)}
      onDeleted={() => setGeneration((g) => g + 1)}
    />
  );
  return (
    <main className="console-page templates-page">
      <h1>Templates</h1>
      <p className="hint">
        A template is a recipe with parameters: fill them in to make a recipe. Publish one of your recipes as a template
        from Recipes.
      </p>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {templates === null && error === null ? <p role="status">Loading…</p> : null}
      {templates === null ? null : (
        <>
          <section aria-labelledby="templates-own">
            <h2 id="templates-own">This workspace’s templates</h2>
            {own.length === 0 ? (
              <p className="hint">None yet.</p>
            ) : (
              <ul className="plain card-list">{own.map(card)}</ul>
            )}
          </section>
          <section aria-labelledby="templates-shipped">
            <h2 id="templates-shipped">Shipped with Baton</h2>
            <ul className="plain card-list">{shipped.map(card)}</ul>
          </section>
        </>
      )}
      {using === null || workspaceId === null ? null : (
        <UseTemplateDialog template={using} workspaceId={workspaceId} onClose={() => setUsing(null)} />
      )}
    </main>
  );
}
