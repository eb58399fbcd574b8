import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import type { Schema } from '../../../client/api.ts';
import { api } from '../api.ts';
import { issuesByPath, messageOf, unwrap } from '../api-errors.ts';
import type { SavedNote } from '../recipes/saved-note.ts';
import { ParameterField } from './parameter-field.tsx';
import { parameterValues } from './parameter-values.ts';

/** A template as the API lists it. */
export type Template = Schema<'RecipeTemplate'>;

/**
 * "Use template": a modal form built from the template's declared parameters (and an optional name
 * for the recipe) that makes a recipe from it. The server's 400 issues appear at their fields
 * (`parameters.<name>`, `name`); those about the resulting recipe (`steps.0.github.integration`)
 * above the buttons. Once made, the page moves to /recipes, which says so.
 */
export function UseTemplateDialog({
  template,
  workspaceId,
  onClose,
}: {
  template: Template;
  workspaceId: string;
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const navigate = useNavigate();
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [name, setName] = useState('');
  const [errors, setErrors] = useState<Map<string, string>>(new Map());
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), name: useId(), nameError: useId() };

  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { parameters, errors: local } = parameterValues(template.parameters, typed);
    setErrors(local);
    setFormError(null);
    if (local.size > 0) return;
    setBusy(true);
    try {
      const made = await unwrap(
        api.POST('/v1/workspaces/{wid}/recipes', {
          params: { path: { wid: workspaceId } },
          body: { template: template.id, parameters, ...(name.trim() === '' ? {} : { name: name.trim() }) },
        }),
      );
      onClose();
      const note: SavedNote = {
        saved: `Created “${made.name}” v${made.latestVersion} from the template “${template.name}”`,
      };
      void navigate(`/recipes?workspace=${encodeURIComponent(workspaceId)}`, { state: note });
    } catch (error) {
      const found = issuesByPath(error);
      setErrors(found);
      const placed = new Set([...template.parameters.map((p) => `parameters.${p.name}`), 'name']);
      const elsewhere = [...found].filter(([path]) => !placed.has(path));
      setFormError(
        found.size === 0
          ? messageOf(error)
          : elsewhere.length > 0
            ? elsewhere.map(([path, message]) => `${path}: ${message}`).join('; ')
            : null,
      );
    } finally {
      setBusy(false);
    }
  };

  const nameError = errors.get('name');
  return (
    <dialog ref={dialog} aria-labelledby={ids.title} onClose={onClose} className="template-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 id={ids.title}>Use “{template.name}”</h2>
        <p className="hint">{template.description}</p>
        <div className="field" data-field="name">
          <label htmlFor={ids.name}>
            Recipe name <span className="hint">(optional)</span>
          </label>
          <input
            id={ids.name}
            value={name}
            placeholder="the template's"
            aria-invalid={nameError !== undefined}
            aria-describedby={nameError === undefined ? undefined : ids.nameError}
            onChange={(e) => setName(e.target.value)}
          />
          {nameError === undefined ? null : (
            <span id={ids.nameError} className="field-error" role="alert">
              {nameError}
            </span>
          )}
        </div>
        {template.parameters.length === 0 ? <p className="hint">This template takes no parameters.</p> : null}
        {template.parameters.map((p) => (
          <ParameterField
            key={p.name}
            parameter={p}
            value={typed[p.name] ?? ''}
            error={errors.get(`parameters.${p.name}`)}
            onChange={(value) => setTyped((previous) => ({ ...previous, [p.name]: value }))}
          />
        ))}
        {template.setup === null ? null : <p className="hint">Afterwards: {template.setup}</p>}
        {formError === null ? null : (
          <p role="alert" className="outcome outcome-error">
            {formError}
          </p>
        )}
        <div className="button-row">
          <button type="submit" className="button primary" disabled={busy}>
            Create recipe
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
