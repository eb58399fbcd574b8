import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';
import { OutcomeNote } from '../executions/outcome-note.tsx';
import { useAction } from '../executions/use-action.ts';
import { ConfirmDelete } from './confirm-delete.tsx';
import { LoadingPage, useLoaded } from './use-loaded.tsx';
import { formErrorsOf, noErrors, type FormErrors } from './form-errors.ts';
import { triggerDraftOf, triggerFields, type TriggerDraft } from './trigger-draft.ts';
import { TriggerEvents } from './trigger-events.tsx';
import { shownByTriggerForm, TriggerForm } from './trigger-form.tsx';
import { actionText, sourceText, TriggerState } from './trigger-list.tsx';
import type { Trigger, TriggerAction } from './types.ts';
import { useChoices, type Choices } from './use-choices.ts';
import '../executions/pages.css';
import './automation.css';

/** `/triggers/:id`: a trigger, enable/disable, edit, delete, and the events it saw. */
export function TriggerPage() {
  const id = useParams().id ?? '';
  const navigate = useNavigate();
  const loaded = useLoaded<Trigger>(id, () => api.GET('/v1/triggers/{id}', { params: { path: { id } } }));
  const { value: trigger, setValue: setTrigger } = loaded;
  const { choices } = useChoices(trigger?.workspaceId ?? null);
  const action = useAction(loaded.reload);

  if (trigger === null) return <LoadingPage title="Trigger" loadError={loaded.loadError} />;
  const back = `/triggers?workspace=${encodeURIComponent(trigger.workspaceId)}`;
  const enable = (enabled: boolean) =>
    void action.run(enabled ? 'Enable' : 'Disable', () =>
      api.PATCH('/v1/triggers/{id}', { params: { path: { id } }, body: { enabled } }),
    );
  const remove = async () => {
    if (await action.run('Delete', () => api.DELETE('/v1/triggers/{id}', { params: { path: { id } } })))
      void navigate(back);
  };
  return (
    <main className="console-page automation-page">
      <p>
        <Link to={back}>← Triggers</Link>
      </p>
      <h1>
        {trigger.name} <TriggerState enabled={trigger.enabled} />
      </h1>
      <dl className="facts">
        <dt>Source</dt>
        <dd>{sourceText(trigger)}</dd>
        <dt>Webhook URL</dt>
        <dd>
          <code data-testid="hook-url">{trigger.hookUrl}</code>
          {trigger.source === 'webhook' ? (
            <span className="hint"> (signed with the secret shown at creation; docs/triggers.md)</span>
          ) : null}
        </dd>
        <dt>Filter</dt>
        <dd>{trigger.filter === null ? 'none: every event' : <code>{trigger.filter}</code>}</dd>
        <dt>Action</dt>
        <dd>{actionText(trigger, choices)}</dd>
        {trigger.action.kind === 'start' && Object.keys(trigger.action.inputs).length > 0 ? (
          <>
            <dt>Inputs</dt>
            <dd>
              <ul className="plain">
                {Object.entries(trigger.action.inputs).map(([name, expression]) => (
                  <li key={name}>
                    {name} = <code>{expression}</code>
                  </li>
                ))}
              </ul>
            </dd>
          </>
        ) : null}
      </dl>
      <div className="button-row">
        {trigger.enabled ? (
          <button type="button" className="button" disabled={action.busy} onClick={() => enable(false)}>
            Disable
          </button>
        ) : (
          <button type="button" className="button primary" disabled={action.busy} onClick={() => enable(true)}>
            Enable
          </button>
        )}
        <ConfirmDelete what="trigger" busy={action.busy} onDelete={() => void remove()} />
      </div>
      <OutcomeNote outcome={action.outcome} />
      <TriggerEvents triggerId={trigger.id} />
      {choices === null ? null : (
        <EditTrigger key={trigger.id} trigger={trigger} choices={choices} onSaved={setTrigger} />
      )}
    </main>
  );
}

/** Whether two actions do the same (inputs compared whatever their order). */
function sameAction(a: TriggerAction, b: TriggerAction): boolean {
  if (a.kind === 'wake' || b.kind === 'wake') return a.kind === b.kind && JSON.stringify(a) === JSON.stringify(b);
  const inputs = (x: Record<string, string>) =>
    JSON.stringify(Object.entries(x).sort(([m], [n]) => m.localeCompare(n)));
  return a.recipeId === b.recipeId && a.dashboardId === b.dashboardId && inputs(a.inputs) === inputs(b.inputs);
}

/** The edit form (PATCH of the name, event, filter, and the action when it changed). */
function EditTrigger({
  trigger,
  choices,
  onSaved,
}: {
  trigger: Trigger;
  choices: Choices;
  onSaved: (t: Trigger) => void;
}) {
  const [draft, setDraft] = useState<TriggerDraft>(() => triggerDraftOf(trigger));
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const submit = async () => {
    setBusy(true);
    setErrors(noErrors);
    setSaved(false);
    try {
      // Enabled is left out: the Enable/Disable button owns it, and this draft may predate a click there.
      const { enabled: _enabled, action, ...rest } = triggerFields(draft);
      // The action only when it changed: a new start action is checked against the editor's rights
      // (docs/triggers.md), which renaming a trigger should not need.
      const body = sameAction(action, trigger.action) ? rest : { ...rest, action };
      onSaved(await unwrap(api.PATCH('/v1/triggers/{id}', { params: { path: { id: trigger.id } }, body })));
      setSaved(true);
    } catch (e) {
      setErrors(formErrorsOf(e, shownByTriggerForm));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="edit-title">
      <h2 id="edit-title">Edit</h2>
      <TriggerForm
        draft={draft}
        onChange={setDraft}
        choices={choices}
        creating={false}
        errors={errors}
        busy={busy}
        submitLabel="Save changes"
        onSubmit={() => void submit()}
      />
      <p role="status" className="outcome outcome-ok">
        {saved ? 'Saved.' : ''}
      </p>
    </section>
  );
}
