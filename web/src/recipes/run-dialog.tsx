import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api.ts';
import { issuesByPath, messageOf, unwrap } from '../api-errors.ts';
import type { Dashboard, RecipeVersion } from '../executions/types.ts';
import { InputField } from './input-field.tsx';
import { declaredInputs, inputValues } from './input-values.ts';

/**
 * Run a recipe: a modal form built from the latest version's declared inputs, choosing the
 * dashboard. The server's 400 issues appear at their fields (`inputs.<name>`, `dashboardId`); once
 * started, the page moves to the new execution. One Idempotency-Key per opened dialog, so a retried
 * submit (a slow network, a double click) starts one execution.
 */
export function RunDialog({
  recipeId,
  recipeName,
  latest,
  dashboards,
  onClose,
}: {
  recipeId: string;
  recipeName: string;
  latest: RecipeVersion;
  dashboards: Dashboard[];
  onClose: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const navigate = useNavigate();
  const specs = declaredInputs(latest.compiled);
  const open = dashboards.filter((d) => d.archivedAt === null);
  const [typed, setTyped] = useState<Record<string, string>>({});
  const [dashboardId, setDashboardId] = useState(open[0]?.id ?? '');
  const [errors, setErrors] = useState<Map<string, string>>(new Map());
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [key] = useState(() => crypto.randomUUID());
  const ids = { title: useId(), dashboard: useId(), dashboardError: useId() };

  useEffect(() => {
    const element = dialog.current;
    // Not closed on cleanup: unmounting removes it, and a close event then would call onClose again.
    if (element !== null && !element.open) element.showModal();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const { inputs, errors: local } = inputValues(specs, typed);
    setErrors(local);
    setFormError(null);
    if (local.size > 0) return;
    setBusy(true);
    try {
      const execution = await unwrap(
        api.POST('/v1/recipes/{id}/executions', {
          params: { path: { id: recipeId }, header: { 'idempotency-key': key } },
          body: { dashboardId, inputs },
        }),
      );
      onClose();
      void navigate(`/executions/${execution.id}`);
    } catch (error) {
      const found = issuesByPath(error);
      setErrors(found);
      // Issues that belong to no field here (or a 409: the recipe or dashboard is archived) go on top.
      const placed = new Set([...specs.map(([name]) => `inputs.${name}`), 'dashboardId']);
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

  const dashboardError = errors.get('dashboardId');
  return (
    <dialog ref={dialog} aria-labelledby={ids.title} onClose={onClose} className="run-dialog">
      <form onSubmit={(e) => void submit(e)} noValidate>
        <h2 id={ids.title}>
          Run “{recipeName}” <span className="hint">v{latest.version}</span>
        </h2>
        <div className="field" data-field="dashboardId">
          <label htmlFor={ids.dashboard}>
            Dashboard <span className="required">required</span>
          </label>
          <select
            id={ids.dashboard}
            value={dashboardId}
            aria-required
            aria-invalid={dashboardError !== undefined}
            aria-describedby={dashboardError === undefined ? undefined : ids.dashboardError}
            onChange={(e) => setDashboardId(e.target.value)}
          >
            {open.length === 0 ? <option value="">no dashboard: create one on Home</option> : null}
            {open.map((d) => (
              <option key={d.id} value={d.id}>
                {d.name}
              </option>
            ))}
          </select>
          {dashboardError === undefined ? null : (
            <span id={ids.dashboardError} className="field-error" role="alert">
              {dashboardError}
            </span>
          )}
        </div>
        {specs.length === 0 ? <p className="hint">This recipe takes no inputs.</p> : null}
        {specs.map(([name, spec]) => (
          <InputField
            key={name}
            name={name}
            spec={spec}
            value={typed[name] ?? ''}
            error={errors.get(`inputs.${name}`)}
            onChange={(value) => setTyped((previous) => ({ ...previous, [name]: value }))}
          />
        ))}
        {formError === null ? null : (
          <p role="alert" className="outcome outcome-error">
            {formError}
          </p>
        )}
        <div className="button-row">
          <button type="submit" className="button primary" disabled={busy || dashboardId === ''}>
            Start
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
