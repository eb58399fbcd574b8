import { useCallback, useEffect, useState } from 'react';
import { useNavigate } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { useCurrentWorkspace } from '../shell/current-workspace.ts';
import { formErrorsOf, noErrors, type FormErrors } from './form-errors.ts';
import { newDraft, scheduleFields, type ScheduleDraft } from './schedule-draft.ts';
import { ScheduleForm, shownByScheduleForm } from './schedule-form.tsx';
import { ScheduleList } from './schedule-list.tsx';
import type { Schedule } from './types.ts';
import { useChoices, useRecipeInputs, type Choices } from './use-choices.ts';
import '../executions/pages.css';
import './automation.css';

/** `/schedules`: the current workspace's schedules, and a form to add one. */
export function SchedulesPage() {
  const workspaceId = useCurrentWorkspace().workspace?.id ?? null;
  const { choices, error: choicesError } = useChoices(workspaceId);
  const [schedules, setSchedules] = useState<Schedule[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    if (workspaceId === null) return;
    let live = true;
    setSchedules(null);
    unwrap(api.GET('/v1/workspaces/{wid}/schedules', { params: { path: { wid: workspaceId } } }))
      .then((answer) => live && setSchedules(answer.schedules))
      .catch((e: unknown) => live && setError(messageOf(e)));
    return () => {
      live = false;
    };
  }, [workspaceId]);

  const shownError = error ?? choicesError;
  return (
    <main className="console-page automation-page">
      <h1>Schedules</h1>
      <p className="hint">A recipe started on a cron, in a time zone, with fixed inputs (see docs/schedules.md).</p>
      {shownError === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {shownError}
        </p>
      )}
      {creating || workspaceId === null || choices === null ? null : (
        <button type="button" className="button primary" onClick={() => setCreating(true)}>
          New schedule
        </button>
      )}
      {creating && workspaceId !== null && choices !== null ? (
        <NewSchedule workspaceId={workspaceId} choices={choices} onCancel={() => setCreating(false)} />
      ) : null}
      {schedules === null && shownError === null ? <p role="status">Loading…</p> : null}
      {schedules === null ? null : <ScheduleList schedules={schedules} choices={choices} />}
    </main>
  );
}

/** The create form; once created, the page moves to the new schedule (its next fire times). */
function NewSchedule({
  workspaceId,
  choices,
  onCancel,
}: {
  workspaceId: string;
  choices: Choices;
  onCancel: () => void;
}) {
  const navigate = useNavigate();
  const [draft, setDraft] = useState<ScheduleDraft>(() =>
    newDraft(
      choices.recipes.find((r) => r.archivedAt === null)?.id ?? '',
      choices.dashboards.find((d) => d.archivedAt === null)?.id ?? '',
    ),
  );
  const { specs, error: specsError } = useRecipeInputs(draft.recipeId);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);

  const submit = useCallback(async () => {
    const { body, errors: local } = scheduleFields(draft, specs);
    if (local.size > 0) {
      setErrors({ fields: local, form: null });
      return;
    }
    setBusy(true);
    setErrors(noErrors);
    try {
      const created = await unwrap(
        api.POST('/v1/workspaces/{wid}/schedules', {
          params: { path: { wid: workspaceId } },
          body: { ...body, recipeId: draft.recipeId, dashboardId: draft.dashboardId, paused: draft.paused },
        }),
      );
      void navigate(`/schedules/${created.id}?workspace=${encodeURIComponent(workspaceId)}`);
    } catch (e) {
      setErrors(formErrorsOf(e, (path) => shownByScheduleForm(path, true)));
    } finally {
      setBusy(false);
    }
  }, [draft, specs, workspaceId, navigate]);

  return (
    <section className="panel" aria-labelledby="new-schedule">
      <h2 id="new-schedule">New schedule</h2>
      {specsError === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {specsError}
        </p>
      )}
      <ScheduleForm
        draft={draft}
        onChange={setDraft}
        choices={choices}
        specs={specs}
        errors={errors}
        busy={busy}
        submitLabel="Create schedule"
        onSubmit={() => void submit()}
      />
      <button type="button" className="button" onClick={onCancel}>
        Cancel
      </button>
    </section>
  );
}
