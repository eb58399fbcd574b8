import type { InputSpec } from '../executions/types.ts';
import { InputField } from '../recipes/input-field.tsx';
import { AutomationForm, Field, RecipeAndDashboard, useFieldWiring } from './field.tsx';
import type { FormErrors } from './form-errors.ts';
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
  const { base, error, wire } = useFieldWiring(errors);
  const nameField = wire('name', 'name');
  const cron = wire('cron', 'cron');
  const timezone = wire('tz', 'timezone');
  const overlap = wire('overlap', 'overlap');
  const mode = wire('mode', 'catchUp.mode', error('catchUp.mode') ?? error('catchUp'));
  const limit = wire('limit', 'catchUp.limit');
  const endAt = wire('end', 'endAt');
  const zones = `${base}-zones`;
  const set = <K extends keyof ScheduleDraft>(key: K, value: ScheduleDraft[K]) => onChange({ ...draft, [key]: value });
  const recipes = choices?.recipes.filter((r) => r.archivedAt === null) ?? [];
  const dashboards = choices?.dashboards.filter((d) => d.archivedAt === null) ?? [];
  return (
    <AutomationForm errors={errors} busy={busy} submitLabel={submitLabel} onSubmit={onSubmit}>
      <Field {...nameField.field} label="Name">
        <input {...nameField.control} value={draft.name} onChange={(e) => set('name', e.target.value)} />
      </Field>
      {choices === undefined ? null : (
        <RecipeAndDashboard
          recipe={wire('recipe', 'recipeId')}
          dashboard={wire('dashboard', 'dashboardId')}
          dashboardHint="where its executions show"
          recipes={recipes}
          dashboards={dashboards}
          recipeId={draft.recipeId}
          dashboardId={draft.dashboardId}
          onRecipe={(recipeId) => onChange({ ...draft, recipeId, inputs: {} })}
          onDashboard={(dashboardId) => set('dashboardId', dashboardId)}
        />
      )}
      <div className="field-row">
        <Field {...cron.field} label="Cron" hint="minute hour day month weekday, or six fields with seconds first">
          <input
            {...cron.control}
            className="mono"
            value={draft.cron}
            placeholder="0 2 * * *"
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set('cron', e.target.value)}
          />
        </Field>
        <Field {...timezone.field} label="Time zone" hint="IANA name; daylight-saving changes are followed">
          <input
            {...timezone.control}
            list={zones}
            value={draft.timezone}
            spellCheck={false}
            autoComplete="off"
            onChange={(e) => set('timezone', e.target.value)}
          />
          <datalist id={zones}>
            {knownTimeZones().map((zone) => (
              <option key={zone} value={zone} />
            ))}
          </datalist>
        </Field>
      </div>
      <div className="field-row">
        <Field {...overlap.field} label="When the previous execution is unfinished">
          <select
            {...overlap.control}
            value={draft.overlap}
            onChange={(e) => set('overlap', e.target.value as OverlapPolicy)}
          >
            {overlapPolicies.map(([value, text]) => (
              <option key={value} value={value}>
                {value}: {text}
              </option>
            ))}
          </select>
        </Field>
        <Field {...mode.field} label="Fires missed while Baton was down">
          <select
            {...mode.control}
            value={draft.catchUpMode}
            onChange={(e) => set('catchUpMode', e.target.value as CatchUp['mode'])}
          >
            {catchUpModes.map(([value, text]) => (
              <option key={value} value={value}>
                {value}: {text}
              </option>
            ))}
          </select>
        </Field>
        {draft.catchUpMode === 'all' ? (
          <Field {...limit.field} label="At most" hint="missed fires (1 to 100)">
            <input
              {...limit.control}
              type="number"
              min={1}
              max={100}
              value={draft.catchUpLimit}
              onChange={(e) => set('catchUpLimit', e.target.value)}
            />
          </Field>
        ) : null}
        <Field {...endAt.field} label="Ends" hint="optional; no fires after it (your local time)">
          <input
            {...endAt.control}
            type="datetime-local"
            value={draft.endAt}
            onChange={(e) => set('endAt', e.target.value)}
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
    </AutomationForm>
  );
}
