import { useId, type FormEvent } from 'react';
import { Field, FormError } from './field.tsx';
import { describedBy, type FormErrors } from './form-errors.ts';
import type { TriggerDraft } from './trigger-draft.ts';
import { useRecipeInputs, type Choices } from './use-choices.ts';

/** The API paths this form shows errors at (the rest go on top). */
export function shownByTriggerForm(path: string): boolean {
  return (
    ['name', 'source', 'event', 'filter', 'enabled', 'action.recipeId', 'action.dashboardId', 'action.event'].includes(
      path,
    ) || path.startsWith('action.inputs.')
  );
}

/**
 * A trigger's fields: its source (on creation only), event name, CEL filter, and action: start a
 * recipe with each input a CEL expression over `event`, or wake the `wait` steps waiting for an
 * event. Each shows the server's issue at it.
 */
export function TriggerForm({
  draft,
  onChange,
  choices,
  creating,
  errors,
  busy,
  submitLabel,
  onSubmit,
}: {
  draft: TriggerDraft;
  onChange: (next: TriggerDraft) => void;
  choices: Choices;
  creating: boolean;
  errors: FormErrors;
  busy: boolean;
  submitLabel: string;
  onSubmit: () => void;
}) {
  const base = useId();
  const ids = {
    name: `${base}-name`,
    event: `${base}-event`,
    filter: `${base}-filter`,
    recipe: `${base}-recipe`,
    dashboard: `${base}-dashboard`,
    wake: `${base}-wake`,
    enabled: `${base}-enabled`,
  };
  const { specs, error: specsError } = useRecipeInputs(draft.kind === 'start' ? draft.recipeId : '');
  const set = <K extends keyof TriggerDraft>(key: K, value: TriggerDraft[K]) => onChange({ ...draft, [key]: value });
  const error = (path: string) => errors.fields.get(path);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  const recipes = choices.recipes.filter((r) => r.archivedAt === null || r.id === draft.recipeId);
  const dashboards = choices.dashboards.filter((d) => d.archivedAt === null || d.id === draft.dashboardId);
  // Expressions typed for inputs this recipe does not declare stay visible, so the server's issue has a place.
  const inputNames = [...new Set([...specs.map(([name]) => name), ...Object.keys(draft.inputs)])];
  return (
    <form className="automation-form" onSubmit={submit} noValidate>
      <Field id={ids.name} path="name" label="Name" error={error('name')}>
        <input
          id={ids.name}
          value={draft.name}
          onChange={(e) => set('name', e.target.value)}
          {...describedBy(ids.name, error('name'))}
        />
      </Field>
      {creating ? (
        <fieldset data-field="source">
          <legend>Source</legend>
          <div className="radio-row">
            <label className="check">
              <input
                type="radio"
                name={`${base}-source`}
                checked={draft.source === 'webhook'}
                onChange={() => set('source', 'webhook')}
              />{' '}
              Generic webhook (its own URL and secret)
            </label>
            <label className="check">
              <input
                type="radio"
                name={`${base}-source`}
                checked={draft.source === 'github'}
                onChange={() => set('source', 'github')}
              />{' '}
              GitHub event (the connected GitHub App)
            </label>
          </div>
          {error('source') === undefined ? null : (
            <span className="field-error" role="alert">
              {error('source')}
            </span>
          )}
        </fieldset>
      ) : null}
      <div className="field-row">
        <Field
          id={ids.event}
          path="event"
          label="Event name"
          hint={draft.source === 'github' ? 'X-GitHub-Event, e.g. push; empty for any' : 'X-Baton-Event; empty for any'}
          error={error('event')}
        >
          <input
            id={ids.event}
            className="mono"
            value={draft.event}
            placeholder={draft.source === 'github' ? 'push' : 'webhook'}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set('event', e.target.value)}
            {...describedBy(ids.event, error('event'))}
          />
        </Field>
        {creating ? (
          <div className="field">
            <label className="check" htmlFor={ids.enabled}>
              <input
                id={ids.enabled}
                type="checkbox"
                checked={draft.enabled}
                onChange={(e) => set('enabled', e.target.checked)}
              />{' '}
              Enabled (a disabled trigger records events as skipped)
            </label>
          </div>
        ) : null}
      </div>
      <Field
        id={ids.filter}
        path="filter"
        label="Filter (CEL over event)"
        hint={
          <>
            must give true; reads <code>event.source</code>, <code>event.name</code>, <code>event.deliveryId</code>,{' '}
            <code>event.payload</code>, <code>event.receivedAt</code>; empty matches every event
          </>
        }
        error={error('filter')}
      >
        <textarea
          id={ids.filter}
          className="mono"
          rows={2}
          value={draft.filter}
          placeholder={'event.payload.ref == "refs/heads/main"'}
          spellCheck={false}
          onChange={(e) => set('filter', e.target.value)}
          {...describedBy(ids.filter, error('filter'))}
        />
      </Field>
      <fieldset>
        <legend>Action</legend>
        <div className="radio-row">
          <label className="check">
            <input
              type="radio"
              name={`${base}-kind`}
              checked={draft.kind === 'start'}
              onChange={() =>
                onChange({
                  ...draft,
                  kind: 'start',
                  recipeId: draft.recipeId || (recipes[0]?.id ?? ''),
                  dashboardId: draft.dashboardId || (dashboards[0]?.id ?? ''),
                })
              }
            />{' '}
            Start a recipe
          </label>
          <label className="check">
            <input
              type="radio"
              name={`${base}-kind`}
              checked={draft.kind === 'wake'}
              onChange={() => set('kind', 'wake')}
            />{' '}
            Wake waiting <code>wait</code> steps
          </label>
        </div>
        {draft.kind === 'wake' ? (
          <Field
            id={ids.wake}
            path="action.event"
            label="Event the wait steps wait for"
            hint="delivered with the payload, as POST /v1/executions/{id}/events would"
            error={error('action.event')}
          >
            <input
              id={ids.wake}
              className="mono"
              value={draft.wakeEvent}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => set('wakeEvent', e.target.value)}
              {...describedBy(ids.wake, error('action.event'))}
            />
          </Field>
        ) : (
          <>
            <div className="field-row">
              <Field id={ids.recipe} path="action.recipeId" label="Recipe" error={error('action.recipeId')}>
                <select
                  id={ids.recipe}
                  value={draft.recipeId}
                  onChange={(e) => onChange({ ...draft, recipeId: e.target.value, inputs: {} })}
                  {...describedBy(ids.recipe, error('action.recipeId'))}
                >
                  {recipes.length === 0 ? <option value="">no recipe: add one first</option> : null}
                  {recipes.map((r) => (
                    <option key={r.id} value={r.id}>
                      {r.name}
                    </option>
                  ))}
                </select>
              </Field>
              <Field id={ids.dashboard} path="action.dashboardId" label="Dashboard" error={error('action.dashboardId')}>
                <select
                  id={ids.dashboard}
                  value={draft.dashboardId}
                  onChange={(e) => set('dashboardId', e.target.value)}
                  {...describedBy(ids.dashboard, error('action.dashboardId'))}
                >
                  {dashboards.length === 0 ? <option value="">no dashboard: create one on Home</option> : null}
                  {dashboards.map((d) => (
                    <option key={d.id} value={d.id}>
                      {d.name}
                    </option>
                  ))}
                </select>
              </Field>
            </div>
            {specsError === null ? null : (
              <p role="alert" className="outcome outcome-error">
                {specsError}
              </p>
            )}
            {inputNames.length === 0 ? (
              <p className="hint">The recipe takes no inputs.</p>
            ) : (
              <p className="hint">
                Each input is a CEL expression over <code>event</code>, e.g.{' '}
                <code>event.payload.ref.substring(11)</code>; empty leaves it to the recipe's default.
              </p>
            )}
            {inputNames.map((name) => {
              const spec = specs.find(([n]) => n === name)?.[1];
              const inputId = `${base}-input-${name}`;
              const path = `action.inputs.${name}`;
              return (
                <Field
                  key={name}
                  id={inputId}
                  path={path}
                  label={
                    <>
                      {name}{' '}
                      {spec === undefined ? (
                        <span className="hint">(not declared)</span>
                      ) : (
                        <span className="hint">
                          ({spec.type}
                          {spec.required && spec.default === undefined ? ', required' : ''})
                        </span>
                      )}
                    </>
                  }
                  error={error(path)}
                >
                  <input
                    id={inputId}
                    className="mono"
                    value={draft.inputs[name] ?? ''}
                    spellCheck={false}
                    autoComplete="off"
                    onChange={(e) => onChange({ ...draft, inputs: { ...draft.inputs, [name]: e.target.value } })}
                    {...describedBy(inputId, error(path))}
                  />
                </Field>
              );
            })}
          </>
        )}
      </fieldset>
      <FormError text={errors.form} />
      <div className="button-row">
        <button type="submit" className="button primary" disabled={busy}>
          {submitLabel}
        </button>
      </div>
    </form>
  );
}
