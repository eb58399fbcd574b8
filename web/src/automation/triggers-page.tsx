import { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { useCurrentWorkspace } from '../shell/current-workspace.ts';
import { formErrorsOf, noErrors, type FormErrors } from './form-errors.ts';
import { SecretOnce } from './secret-once.tsx';
import { newTriggerDraft, triggerFields, type TriggerDraft } from './trigger-draft.ts';
import { shownByTriggerForm, TriggerForm } from './trigger-form.tsx';
import { TriggerList } from './trigger-list.tsx';
import type { Trigger } from './types.ts';
import { useChoices, type Choices } from './use-choices.ts';
import '../executions/pages.css';
import './automation.css';

/** `/triggers`: the current workspace's triggers, a form to add one, and a new webhook's secret once. */
export function TriggersPage() {
  const workspaceId = useCurrentWorkspace().workspace?.id ?? null;
  const { choices, error: choicesError } = useChoices(workspaceId);
  const [triggers, setTriggers] = useState<Trigger[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  // The secret of the trigger just created: component state only, gone when dismissed or the page is left.
  const [created, setCreated] = useState<{ trigger: Trigger; secret: string } | null>(null);

  const reload = useCallback(() => {
    if (workspaceId === null) return;
    unwrap(api.GET('/v1/workspaces/{wid}/triggers', { params: { path: { wid: workspaceId } } }))
      .then((answer) => {
        setTriggers(answer.triggers);
        setError(null);
      })
      .catch((e: unknown) => setError(messageOf(e)));
  }, [workspaceId]);
  useEffect(reload, [reload]);

  const onCreated = (trigger: Trigger, secret: string | undefined) => {
    setCreating(false);
    reload();
    if (secret !== undefined) setCreated({ trigger, secret });
  };
  const shownError = error ?? choicesError;
  return (
    <main className="console-page automation-page">
      <h1>Triggers</h1>
      <p className="hint">
        A signed webhook (generic, or a GitHub App event) that matches a CEL filter starts a recipe or wakes waiting
        steps (see docs/triggers.md).
      </p>
      {shownError === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {shownError}
        </p>
      )}
      {created === null ? null : (
        <SecretOnce trigger={created.trigger} secret={created.secret} onDone={() => setCreated(null)} />
      )}
      {creating || workspaceId === null || choices === null ? null : (
        <button type="button" className="button primary" onClick={() => setCreating(true)}>
          New trigger
        </button>
      )}
      {creating && workspaceId !== null && choices !== null ? (
        <NewTrigger
          workspaceId={workspaceId}
          choices={choices}
          onCreated={onCreated}
          onCancel={() => setCreating(false)}
        />
      ) : null}
      {triggers === null && shownError === null ? <p role="status">Loading…</p> : null}
      {triggers === null ? null : <TriggerList triggers={triggers} choices={choices} />}
    </main>
  );
}

/** The create form; a GitHub trigger goes to its page, a generic webhook's secret is shown here once. */
function NewTrigger({
  workspaceId,
  choices,
  onCreated,
  onCancel,
}: {
  workspaceId: string;
  choices: Choices;
  onCreated: (t: Trigger, secret: string | undefined) => void;
  onCancel: () => void;
}) {
  const navigate = useNavigate();
  const [draft, setDraft] = useState<TriggerDraft>(() =>
    newTriggerDraft(
      choices.recipes.find((r) => r.archivedAt === null)?.id ?? '',
      choices.dashboards.find((d) => d.archivedAt === null)?.id ?? '',
    ),
  );
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setErrors(noErrors);
    try {
      const answer = await unwrap(
        api.POST('/v1/workspaces/{wid}/triggers', {
          params: { path: { wid: workspaceId } },
          body: { ...triggerFields(draft), source: draft.source },
        }),
      );
      const { secret, ...trigger } = answer;
      if (secret === undefined) void navigate(`/triggers/${trigger.id}`);
      else onCreated(trigger, secret);
    } catch (e) {
      setErrors(formErrorsOf(e, shownByTriggerForm));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="new-trigger">
      <h2 id="new-trigger">New trigger</h2>
      <TriggerForm
        draft={draft}
        onChange={setDraft}
        choices={choices}
        creating
        errors={errors}
        busy={busy}
        submitLabel="Create trigger"
        onSubmit={() => void submit()}
      />
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
    </section>
  );
}
