import { AutomationForm, Field, RecipeAndDashboard, useFieldWiring } from './field.tsx';
import type { FormErrors } from './form-errors.ts';
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
  const { base, error, wire } = useFieldWiring(errors);
  const fields = {
    name: wire('name', 'name'),
    event: wire('event', 'event'),
    filter: wire('filter', 'filter'),
    wake: wire('wake', 'action.event'),
  };
  const enabledId = `${base}-enabled`;
  const { specs, error: specsError } = useRecipeInputs(draft.kind === 'start' ? draft.recipeId : '');
  const set = <K extends keyof TriggerDraft>(key: K, value: TriggerDraft[K]) => onChange({ ...draft, [key]: value });
  const recipes = choices.recipes.filter((r) => r.archivedAt === null || r.id === draft.recipeId);
  const dashboards = choices.dashboards.filter((d) => d.archivedAt === null || d.id === draft.dashboardId);
  // Expressions typed for inputs this recipe does not declare stay visible, so the server's issue has a place.
  const inputNames = [...new Set([...specs.map(([name]) => name), ...Object.keys(draft.inputs)])];
  return (
    <AutomationForm errors={errors} busy={busy} submitLabel={submitLabel} onSubmit={onSubmit}>
      <Field {...fields.name.field} label="Name">
        <input {...fields.name.control} value={draft.name} onChange={(e) => set('name', e.target.value)} />
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
          {...fields.event.field}
          label="Event name"
          hint={draft.source === 'github' ? 'X-GitHub-Event, e.g. push; empty for any' : 'X-Baton-Event; empty for any'}
        >
          <input
            {...fields.event.control}
            className="mono"
            value={draft.event}
            placeholder={draft.source === 'github' ? 'push' : 'webhook'}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set('event', e.target.value)}
          />
        </Field>
        {creating ? (
          <div className="field">
            <label className="check" htmlFor={enabledId}>
              <input
                id={enabledId}
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
        {...fields.filter.field}
        label="Filter (CEL over event)"
        hint={
          <>
            must be true; reads <code>event.source</code>, <code>event.name</code>, <code>event.deliveryId</code>,{' '}
            <code>event.payload</code>, <code>event.receivedAt</code>; empty matches every event
          </>
        }
      >
        <textarea
          {...fields.filter.control}
          className="mono"
          rows={2}
          value={draft.filter}
          placeholder={'event.payload.ref == "refs/heads/main"'}
          spellCheck={false}
          onChange={(e) => set('filter', e.target.value)}
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
            {...fields.wake.field}
            label="Event the wait steps wait for"
            hint="delivered with the payload, as POST /v1/executions/{id}/events would"
          >
            <input
              {...fields.wake.control}
              className="mono"
              value={draft.wakeEvent}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => set('wakeEvent', e.target.value)}
            />
          </Field>
        ) : (
          <>
            <RecipeAndDashboard
              recipe={wire('recipe', 'action.recipeId')}
              dashboard={wire('dashboard', 'action.dashboardId')}
              recipes={recipes}
              dashboards={dashboards}
              recipeId={draft.recipeId}
              dashboardId={draft.dashboardId}
              onRecipe={(recipeId) => onChange({ ...draft, recipeId, inputs: {} })}
              onDashboard={(dashboardId) => set('dashboardId', dashboardId)}
            />
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
              const input = wire(`input-${name}`, `action.inputs.${name}`);
              return (
                <Field
                  key={name}
                  {...input.field}
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
                >
                  <input
                    {...input.control}
                    className="mono"
                    value={draft.inputs[name] ?? ''}
                    spellCheck={false}
                    autoComplete="off"
                    onChange={(e) => onChange({ ...draft, inputs: { ...draft.inputs, [name]: e.target.value } })}
                  />
                </Field>
              );
            })}
          </>
        )}
      </fieldset>
    </AutomationForm>
  );
}
