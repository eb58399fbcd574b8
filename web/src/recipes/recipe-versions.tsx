import { useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { pretty, when } from '../executions/format.ts';
import type { RecipeVersion } from '../executions/types.ts';

/** A recipe's versions, newest first, read when opened; each one's source on demand. */
export function RecipeVersions({ recipeId }: { recipeId: string }) {
  const [versions, setVersions] = useState<RecipeVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => {
    if (versions !== null) return;
    void unwrap(api.GET('/v1/recipes/{id}/versions', { params: { path: { id: recipeId } } }))
      .then((page) => setVersions(page.versions))
      .catch((e: unknown) => setError(messageOf(e)));
  };
  return (
    <details onToggle={(e) => e.currentTarget.open && load()}>
      <summary>Versions</summary>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {versions === null && error === null ? <p role="status">Loading…</p> : null}
      <ol className="plain">
        {(versions ?? []).map((v) => (
          <li key={v.version}>
            <details>
              <summary>
                v{v.version} · {when(v.createdAt)}
              </summary>
              {/* Focusable: a long source scrolls, and keyboards must reach it. */}
              <pre tabIndex={0} role="region" aria-label={`Source of v${v.version}`}>
                {typeof v.source === 'string' ? v.source : pretty(v.source)}
              </pre>
            </details>
          </li>
        ))}
      </ol>
    </details>
  );
}
