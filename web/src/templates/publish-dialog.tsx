import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { issuesByPath, messageOf, unwrap } from '../api-errors.ts';
import { parameterTypes, parameterValue, placeholdersIn, type ParameterType } from './parameter-values.ts';
import './templates.css';

interface Row {
  readonly key: number;
  readonly name: string;
  readonly description: string;
  readonly type: ParameterType;
  readonly required: boolean;
  readonly default: string;
}

const row = (key: number, name = ''): Row => ({
  key,
  name,
  description: '',
  type: 'string',
  required: true,
  default: '',
});

/**
 * "Publish as template": the recipe's latest version becomes a workspace template. One parameter
 * row per `{{name}}` found in the recipe to start with (each must be declared, and each declared one
 * used: the server says which otherwise, at `parameters` or `parameters.<i>.name`); rows can be
 * added and removed. Errors at their fields; on success the caller shows where the template is.
 */
export function PublishDialog({
  recipeId,
  recipeName,
  onClose,
  onPublished,
}: {
  recipeId: string;
  recipeName: string;
  onClose: () => void;
  onPublished: (templateName: string) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [name, setName] = useState(recipeName);
  const [description, setDescription] = useState('');
  const [rows, setRows] = useState<Row[] | null>(null);
  const [nextKey, setNextKey] = useState(1000);
  const [errors, setErrors] = useState<Map<string, string>>(new Map());
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const ids = { title: useId(), name: useId(), description: useId(), parameters: useId() };

  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
  }, []);

  useEffect(() => {
    let live = true;
    void unwrap(api.GET('/v1/recipes/{id}', { params: { path: { id: recipeId } } }))
      .then((view) => live && setRows(placeholdersIn(view.latest.source).map((found, i) => row(i, found))))
      .catch((e: unknown) => {
        if (!live) return;
        setRows([]);
        setFormError(messageOf(e));
      });
    return () => {
      live = false;
    };
  }, [recipeId]);

  const change = (key: number, patch: Partial<Row>) =>
    setRows((previous) => (previous ?? []).map((r) => (r.key === key ? { ...r, ...patch } : r)));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const local = new Map<string, string>();
    const parameters = (rows ?? []).map((r, i) => {
      if (r.default.trim() === '')
        return { name: r.name.trim(), description: r.description, type: r.type, required: r.required };
      const parsed = parameterValue(r.type, r.default);
      if ('error' in parsed) local.set(`parameters.${i}.default`, parsed.error);
      return {
        name: r.name.trim(),
        description: r.description,
        type: r.type,
        required: r.required,
        default: 'value' in parsed ? parsed.value : null,
      };
    });
    setErrors(local);
    setFormError(null);
    if (local.size > 0) return;
    setBusy(true);
    try {
      const template = await unwrap(
        api.POST('/v1/recipes/{id}/publish-template', {
          params: { path: { id: recipeId } },
          body: { name: name.trim(), description, parameters },
        }),
      );
      onPublished(template.name);
    } catch (error) {
      const found = issuesByPath(error);
      setErrors(found);
      const placed = (path: string) =>
        path === 'name' || path === 'description' || path === 'parameters' || /^parameters\.\d+\./.test(path);
      const elsewhere = [...found].filter(([path]) => !placed(path));
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

  const rowErrors = (i: number) =>
    [...errors]
      .filter(([path]) => path.startsWith(`parameters.${i}.`))
      .map(([path, message]) => `${path.slice(`parameters.${i}.`.length)}: ${message}`);
  const fieldError = (path: string, id: string) =>
    errors.has(path) ? (
      <span id={`${id}-error`} className="field-error" role="alert">
        {errors.get(path)}
      </span>
    ) : null;
  return (
    <dialog ref={dialog} aria-labelledby={ids.title} onClose={onClose} className="publish-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 id={ids.title}>Publish “{recipeName}” as a template</h2>
        <p className="hint">
          Its latest version becomes a template of this workspace. Each <code>{'{{name}}'}</code> in the recipe is a
          parameter.
        </p>
        <div className="field" data-field="name">
          <label htmlFor={ids.name}>Template name</label>
          <input
            id={ids.name}
            value={name}
            aria-invalid={errors.has('name')}
            aria-describedby={errors.has('name') ? `${ids.name}-error` : undefined}
            onChange={(e) => setName(e.target.value)}
          />
          {fieldError('name', ids.name)}
        </div>
        <div className="field" data-field="description">
          <label htmlFor={ids.description}>Description</label>
          <textarea
            id={ids.description}
            rows={2}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
          {fieldError('description', ids.description)}
        </div>
        <h3 id={ids.parameters}>Parameters</h3>
        {rows === null ? (
          <p role="status">Reading the recipe…</p>
        ) : rows.length === 0 ? (
          <p className="hint">
            The recipe has no <code>{'{{name}}'}</code> placeholders.
          </p>
        ) : null}
        {errors.has('parameters') ? (
          <p role="alert" className="field-error" data-field="parameters">
            {errors.get('parameters')}
          </p>
        ) : null}
        {(rows ?? []).map((r, i) => (
          <fieldset key={r.key} data-field={`parameters.${i}`}>
            <legend>
              Parameter {i + 1}
              {r.name === '' ? '' : `: ${r.name}`}
            </legend>
            <div className="field">
              <label htmlFor={`${ids.parameters}-${r.key}-name`}>Name</label>
              <input
                id={`${ids.parameters}-${r.key}-name`}
                value={r.name}
                aria-invalid={errors.has(`parameters.${i}.name`)}
                onChange={(e) => change(r.key, { name: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor={`${ids.parameters}-${r.key}-type`}>Type</label>
              <select
                id={`${ids.parameters}-${r.key}-type`}
                value={r.type}
                onChange={(e) => change(r.key, { type: e.target.value as ParameterType })}
              >
                {parameterTypes.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor={`${ids.parameters}-${r.key}-description`}>What it is</label>
              <input
                id={`${ids.parameters}-${r.key}-description`}
                value={r.description}
                onChange={(e) => change(r.key, { description: e.target.value })}
              />
            </div>
            <div className="field">
              <label htmlFor={`${ids.parameters}-${r.key}-default`}>
                Default <span className="hint">(optional)</span>
              </label>
              <input
                id={`${ids.parameters}-${r.key}-default`}
                value={r.default}
                aria-invalid={errors.has(`parameters.${i}.default`)}
                onChange={(e) => change(r.key, { default: e.target.value })}
              />
            </div>
            <label className="check">
              <input
                type="checkbox"
                checked={r.required}
                onChange={(e) => change(r.key, { required: e.target.checked })}
              />{' '}
              Required
            </label>
            <button
              type="button"
              className="button"
              onClick={() => setRows((previous) => (previous ?? []).filter((x) => x.key !== r.key))}
            >
              Remove <span className="visually-hidden">parameter {i + 1}</span>
            </button>
            {rowErrors(i).length === 0 ? null : (
              <p role="alert" className="field-error">
                {rowErrors(i).join('; ')}
              </p>
            )}
          </fieldset>
        ))}
        <button
          type="button"
          className="button"
          onClick={() => {
            setRows((previous) => [...(previous ?? []), row(nextKey)]);
            setNextKey((k) => k + 1);
          }}
        >
          Add a parameter
        </button>
        {formError === null ? null : (
          <p role="alert" className="outcome outcome-error">
            {formError}
          </p>
        )}
        <div className="button-row">
          <button type="submit" className="button primary" disabled={busy || rows === null}>
            Publish
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
