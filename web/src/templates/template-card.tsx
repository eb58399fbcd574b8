import { useState } from 'react';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { pretty, when } from '../executions/format.ts';
import { defaultText } from './parameter-values.ts';
import type { Template } from './use-template-dialog.tsx';

/** One template in /templates: what it does, its parameters, Use, and Delete for the workspace's own. */
export function TemplateCard({
  template,
  workspaceId,
  onUse,
  onDeleted,
}: {
  template: Template;
  workspaceId: string;
  onUse: () => void;
  onDeleted: () => void;
}) {
  const [outcome, setOutcome] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const remove = async () => {
    if (!window.confirm(`Delete the template “${template.name}”? Recipes made from it stay.`)) return;
    setBusy(true);
    setOutcome(null);
    try {
      await unwrap(
        api.DELETE('/v1/workspaces/{wid}/templates/{templateId}', {
          params: { path: { wid: workspaceId, templateId: template.id } },
        }),
      );
      onDeleted();
    } catch (e) {
      // 403 (a read-only token) or 409 (a shipped one): the server's own reason.
      setOutcome(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li data-template={template.id}>
      <h3 className="template-name">{template.name}</h3>
      <span className="badge">{template.origin === 'shipped' ? 'shipped' : 'this workspace'}</span>
      {template.recipeVersion === null || template.createdAt === null ? null : (
        <span className="hint">
          from recipe v{template.recipeVersion} · {when(template.createdAt)}
        </span>
      )}
      <div className="meta">
        <p>{template.description === '' ? <span className="hint">No description.</span> : template.description}</p>
        {template.parameters.length === 0 ? (
          <p className="hint">No parameters.</p>
        ) : (
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Parameters of {template.name}</caption>
              <thead>
                <tr>
                  <th scope="col">Parameter</th>
                  <th scope="col">Type</th>
                  <th scope="col">Required / default</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                {template.parameters.map((p) => (
                  <tr key={p.name}>
                    <td>
                      <code>{p.name}</code>
                    </td>
                    <td>{p.type}</td>
                    <td>
                      {p.default !== undefined
                        ? `default ${defaultText(p.default)}`
                        : p.required
                          ? 'required'
                          : 'optional'}
                    </td>
                    <td>{p.description}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {template.setup === null ? null : <p className="hint">Starts with: {template.setup}</p>}
        <details>
          <summary>
            Recipe <span className="visually-hidden">of {template.name}</span>
          </summary>
          {/* Focusable: a long recipe scrolls, and keyboards must reach it. */}
          <pre tabIndex={0} role="region" aria-label={`Recipe of ${template.name}`}>
            {template.yaml ?? pretty(template.source)}
          </pre>
        </details>
        <div className="button-row">
          <button type="button" className="button primary" onClick={onUse}>
            Use template <span className="visually-hidden">{template.name}</span>
          </button>
          {template.origin === 'workspace' ? (
            <button type="button" className="button" disabled={busy} onClick={() => void remove()}>
              Delete <span className="visually-hidden">template {template.name}</span>
            </button>
          ) : null}
        </div>
        {outcome === null ? null : (
          <p role="alert" className="outcome outcome-refused">
            {outcome}
          </p>
        )}
      </div>
    </li>
  );
}
