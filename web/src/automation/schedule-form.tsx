import { useId, type FormEvent } from 'react';
import type { InputSpec } from '../executions/types.ts';
import { InputField } from '../recipes/input-field.tsx';
import { Field, FormError } from './field.tsx';
import { describedBy, type FormErrors } from './form-errors.ts';
import type { ScheduleDraft } from './schedule-draft.ts';
import { knownTimeZones } from './time.ts';
import { catchUpModes, overlapPolicies, type CatchUp, type OverlapPolicy } from './types.ts';
import type { Choices } from './use-choices.ts';

/** The API paths this form shows errors at (the rest go on top). */
export function shownByScheduleForm(path: string, creating: boolean): boolean {
  const own = ['name', 'cron', 'timezone', 'overlap', 'catchUp', 'catchUp.mode', 'catchUp.limit', 'endAt'];
  return (
    own.includes(path) || path.startsWith('inputs.') || (creating && (path === 'recipeId' || path === 'dashboardId'))
  );
}

/**
 * A schedule's fields: on creation also the recipe and dashboard (a schedule keeps both for good).
 * The recipe's declared inputs become typed fields; each shows the server's issue at it.
 */
export function ScheduleForm({
  draft,
  onChange,
  choices,
  specs,
  errors,
  busy,
  submitLabel,
  onSubmit,
}: {
  draft: ScheduleDraft;
  onChange: (next: ScheduleDraft) => void;
  /** Given when creating: the recipe and dashboard to choose from. */
  choices?: Choices;
  specs: Array<[string, InputSpec]>;
  errors: FormErrors;
  busy: boolean;
  submitLabel: string;
  onSubmit: () => void;
}) {
  const base = useId();
  const ids = {
    name: `${base}-name`,
    recipe: `${base}-recipe`,
    dashboard: `${base}-dashboard`,
    cron: `${base}-cron`,
    timezone: `${base}-tz`,
    zones: `${base}-zones`,
    overlap: `${base}-overlap`,
    mode: `${base}-mode`,
    limit: `${base}-limit`,
    endAt: `${base}-end`,
  };
  const set = <K extends keyof ScheduleDraft>(key: K, value: ScheduleDraft[K]) => onChange({ ...draft, [key]: value });
  const error = (path: string) => errors.fields.get(path);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  const recipes = choices?.recipes.filter((r) => r.archivedAt === null) ?? [];
  const dashboards = choices?.dashboards.filter((d) => d.archivedAt === null) ?? [];
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
      {choices === undefined ? null : (
        <div className="field-row">
          <Field id={ids.recipe} path="recipeId" label="Recipe" error={error('recipeId')}>
            <select
              id={ids.recipe}
              value={draft.recipeId}
              onChange={(e) => onChange({ ...draft, recipeId: e.target.value, inputs: {} })}
              {...describedBy(ids.recipe, error('recipeId'))}
            >
              {recipes.length === 0 ? <option value="">no recipe: add one first</option> : null}
              {recipes.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.name}
                </option>
              ))}
            </select>
          </Field>
          <Field
            id={ids.dashboard}
            path="dashboardId"
            label="Dashboard"
            hint="where its executions show"
            error={error('dashboardId')}
          >
            <select
              id={ids.dashboard}
              value={draft.dashboardId}
              onChange={(e) => set('dashboardId', e.target.value)}
              {...describedBy(ids.dashboard, error('dashboardId'))}
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
      )}
      <div className="field-row">
        <Field
          id={ids.cron}
          path="cron"
          label="Cron"
          hint="minute hour day month weekday, or six fields with seconds first"
          error={error('cron')}
        >
          <input
            id={ids.cron}
            className="mono"
            value={draft.cron}
            placeholder="0 2 * * *"
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set('cron', e.target.value)}
            {...describedBy(ids.cron, error('cron'))}
          />
        </Field>
        <Field
          id={ids.timezone}
          path="timezone"
          label="Time zone"
          hint="IANA name; daylight-saving changes are followed"
          error={error('timezone')}
        >
          <input
            id={ids.timezone}
            list={ids.zones}
            value={draft.timezone}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set('timezone', e.target.value)}
            {...describedBy(ids.timezone, error('timezone'))}
          />
          <datalist id={ids.zones}>
            {knownTimeZones().map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </Field>
      </div>
      <div className="field-row">
        <Field
          id={ids.overlap}
          path="overlap"
          label="When the previous execution is unfinished"
          error={error('overlap')}
        >
          <select
            id={ids.overlap}
            value={draft.overlap}
            onChange={(e) => set('overlap', e.target.value as OverlapPolicy)}
            {...describedBy(ids.overlap, error('overlap'))}
          >
            {overlapPolicies.map(([value, text]) => (
              <option key={value} value={value}>
                {value}: {text}
              </option>
            ))}
          </select>
        </Field>
        <Field
          id={ids.mode}
          path="catchUp.mode"
          label="Fires missed while Baton was down"
          error={error('catchUp.mode') ?? error('catchUp')}
        >
          <select
            id={ids.mode}
            value={draft.catchUpMode}
            onChange={(e) => set('catchUpMode', e.target.value as CatchUp['mode'])}
            {...describedBy(ids.mode, error('catchUp.mode') ?? error('catchUp'))}
          >
            {catchUpModes.map(([value, text]) => (
              <option key={value} value={value}>
                {value}: {text}
              </option>
            ))}
          </select>
        </Field>
        {draft.catchUpMode === 'all' ? (
          <Field
            id={ids.limit}
            path="catchUp.limit"
            label="At most"
            hint="missed fires (1 to 100)"
            error={error('catchUp.limit')}
          >
            <input
              id={ids.limit}
              type="number"
              min={1}
              max={100}
              value={draft.catchUpLimit}
              onChange={(e) => set('catchUpLimit', e.target.value)}
              {...describedBy(ids.limit, error('catchUp.limit'))}
            />
          </Field>
        ) : null}
        <Field
          id={ids.endAt}
          path="endAt"
          label="Ends"
          hint="optional; no fires after it (your local time)"
          error={error('endAt')}
        >
          <input
            id={ids.endAt}
            type="datetime-local"
            value={draft.endAt}
            onChange={(e) => set('endAt', e.target.value)}
            {...describedBy(ids.endAt, error('endAt'))}
          />
        </Field>
      </div>
      <fieldset className="inputs">
        <legend>Inputs for each execution</legend>
        {specs.length === 0 ? <p className="hint">The recipe takes no inputs.</p> : null}
        {specs.map(([name, spec]) => (
          <InputField
            key={name}
            name={name}
            spec={spec}
            value={draft.inputs[name] ?? ''}
            error={error(`inputs.${name}`)}
            onChange={(value) => onChange({ ...draft, inputs: { ...draft.inputs, [name]: value } })}
          />
        ))}
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
