import { useId, type FormEvent, type ReactNode } from 'react';
import { describedBy, type FormErrors } from './form-errors.ts';

/**
 * A labelled form field with its hint and the server's error for it (`data-field` is the API path
 * the error belongs to). The control inside uses `id` and `describedBy(id, error)`.
 */
export function Field({
  id,
  path,
  label,
  hint,
  error,
  children,
}: {
  id: string;
  path: string;
  label: ReactNode;
  hint?: ReactNode;
  error: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="field" data-field={path}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint === undefined ? null : <span className="hint">{hint}</span>}
      {error === undefined ? null : (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

/** The form's own error line (a 409's reason, issues with no field here). */
export function FormError({ text }: { text: string | null }) {
  return text === null ? null : (
    <p role="alert" className="outcome outcome-error">
      {text}
    </p>
  );
}

/** A field's props for `Field` and its control's (`id`, `aria-invalid`, `aria-describedby`), tied together. */
export interface WiredField {
  readonly field: { readonly id: string; readonly path: string; readonly error: string | undefined };
  readonly control: { readonly id: string } & ReturnType<typeof describedBy>;
}

/**
 * Ties a form's fields to the server's errors: `wire(key, path)` gives the `Field` and its control one
 * id (`<form's id>-<key>`) and the error at `path` (or `error`, where a field shows another path's too).
 */
export function useFieldWiring(errors: FormErrors): {
  /** The form's own id, for names and ids of what is not a field (radio groups, datalists). */
  readonly base: string;
  /** The server's error at `path`. */
  readonly error: (path: string) => string | undefined;
  readonly wire: (key: string, path: string, error?: string) => WiredField;
} {
  const base = useId();
  const errorAt = (path: string) => errors.fields.get(path);
  const wire = (key: string, path: string, error = errorAt(path)): WiredField => {
    const id = `${base}-${key}`;
    return { field: { id, path, error }, control: { id, ...describedBy(id, error) } };
  };
  return { base, error: errorAt, wire };
}

/** An automation form: its fields, the form's own error line, and the submit button (off while busy). */
export function AutomationForm({
  errors,
  busy,
  submitLabel,
  onSubmit,
  children,
}: {
  errors: FormErrors;
  busy: boolean;
  submitLabel: string;
  onSubmit: () => void;
  children: ReactNode;
}) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className="automation-form" onSubmit={submit} noValidate>
      {children}
      <FormError text={errors.form} />
      <div className="button-row">
        <button type="submit" className="button primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}

/** The recipe an automation starts and the dashboard its executions show on, side by side. */
export function RecipeAndDashboard({
  recipe,
  dashboard,
  dashboardHint,
  recipes,
  dashboards,
  recipeId,
  dashboardId,
  onRecipe,
  onDashboard,
}: {
  recipe: WiredField;
  dashboard: WiredField;
  dashboardHint?: ReactNode;
  recipes: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  dashboards: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  recipeId: string;
  dashboardId: string;
  onRecipe: (id: string) => void;
  onDashboard: (id: string) => void;
}) {
  return (
    <div className="field-row">
      <Field {...recipe.field} label="Recipe">
        <select {...recipe.control} value={recipeId} onChange={(e) => onRecipe(e.target.value)}>
          {recipes.length === 0 ? <option value="">no recipe: add one first</option> : null}
          {recipes.map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
        </select>
      </Field>
      <Field {...dashboard.field} label="Dashboard" {...(dashboardHint === undefined ? {} : { hint: dashboardHint })}>
        <select {...dashboard.control} value={dashboardId} onChange={(e) => onDashboard(e.target.value)}>
          {dashboards.length === 0 ? <option value="">no dashboard: create one on Home</option> : null}
          {dashboards.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </select>
      </Field>
    </div>
  );
}
