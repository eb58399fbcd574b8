import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';
import { OutcomeNote } from '../executions/outcome-note.tsx';
import { useAction } from '../executions/use-action.ts';
import { ConfirmDelete } from './confirm-delete.tsx';
import { LoadingPage, useLoaded } from './use-loaded.tsx';
import { formErrorsOf, noErrors, type FormErrors } from './form-errors.ts';
import { draftOf, scheduleFields, type ScheduleDraft } from './schedule-draft.ts';
import { ScheduleFires } from './schedule-fires.tsx';
import { ScheduleForm, shownByScheduleForm } from './schedule-form.tsx';
import { NextFires, ScheduleState } from './schedule-list.tsx';
import { inZone } from './time.ts';
import type { Schedule } from './types.ts';
import { nameOf, useChoices, useRecipeInputs } from './use-choices.ts';
import '../executions/pages.css';
import './automation.css';

/** `/schedules/:id`: a schedule, its next fire times, pause/resume, edit, delete, and its fires. */
export function SchedulePage() {
  const id = useParams().id ?? '';
  const navigate = useNavigate();
  const loaded = useLoaded<Schedule>(id, () => api.GET('/v1/schedules/{id}', { params: { path: { id } } }));
  const { value: schedule, setValue: setSchedule } = loaded;
  const { choices } = useChoices(schedule?.workspaceId ?? null);
  const action = useAction(loaded.reload);

  if (schedule === null) return <LoadingPage title="Schedule" loadError={loaded.loadError} />;
  const back = `/schedules?workspace=${encodeURIComponent(schedule.workspaceId)}`;
  const pause = (paused: boolean) =>
    void action.run(paused ? 'Pause' : 'Resume', () =>
      api.PATCH('/v1/schedules/{id}', { params: { path: { id } }, body: { paused } }),
    );
  const remove = async () => {
    if (await action.run('Delete', () => api.DELETE('/v1/schedules/{id}', { params: { path: { id } } })))
      void navigate(back);
  };
  return (
    <main className="console-page automation-page">
      <p>
        <Link to={back}>← Schedules</Link>
      </p>
      <h1>
        {schedule.name} <ScheduleState paused={schedule.paused} />
      </h1>
      <dl className="facts">
        <dt>Recipe</dt>
        <dd>{nameOf(choices?.recipes, schedule.recipeId)}</dd>
        <dt>Dashboard</dt>
        <dd>
          <Link to={`/dashboards/${schedule.dashboardId}`}>{nameOf(choices?.dashboards, schedule.dashboardId)}</Link>
        </dd>
        <dt>Cron</dt>
        <dd>
          <code data-testid="schedule-cron">{schedule.cron}</code> in {schedule.timezone}
        </dd>
        <dt>Overlap</dt>
        <dd>{schedule.overlap}</dd>
        <dt>Catch-up</dt>
        <dd>
          {schedule.catchUp.mode}
          {schedule.catchUp.mode === 'all' ? ` (at most ${schedule.catchUp.limit})` : ''}
        </dd>
        <dt>Ends</dt>
        <dd>{schedule.endAt === null ? 'never' : inZone(schedule.endAt, schedule.timezone)}</dd>
        {schedule.queuedFireAt === null ? null : (
          <>
            <dt>Queued</dt>
            <dd>the fire of {inZone(schedule.queuedFireAt, schedule.timezone)} waits for the previous execution</dd>
          </>
        )}
        {schedule.lastExecutionId === null ? null : (
          <>
            <dt>Last execution</dt>
            <dd>
              <Link to={`/executions/${schedule.lastExecutionId}`}>{schedule.lastExecutionId.slice(0, 8)}</Link>
            </dd>
          </>
        )}
      </dl>
      <section className="panel" aria-labelledby="next-title">
        <h2 id="next-title">
          Next fire times <span className="kind">({schedule.timezone})</span>
        </h2>
        <NextFires schedule={schedule} />
      </section>
      <div className="button-row">
        {schedule.paused ? (
          <button type="button" className="button primary" disabled={action.busy} onClick={() => pause(false)}>
            Resume
          </button>
        ) : (
          <button type="button" className="button" disabled={action.busy} onClick={() => pause(true)}>
            Pause
          </button>
        )}
        <ConfirmDelete what="schedule" busy={action.busy} onDelete={() => void remove()} />
      </div>
      <OutcomeNote outcome={action.outcome} />
      <ScheduleFires scheduleId={schedule.id} timezone={schedule.timezone} />
      <EditSchedule key={schedule.id} schedule={schedule} onSaved={setSchedule} />
    </main>
  );
}

/** The edit form (PATCH); the answer's next fire times replace the page's at once. */
function EditSchedule({ schedule, onSaved }: { schedule: Schedule; onSaved: (s: Schedule) => void }) {
  const [draft, setDraft] = useState<ScheduleDraft>(() => draftOf(schedule));
  const { specs } = useRecipeInputs(schedule.recipeId);
  const [errors, setErrors] = useState<FormErrors>(noErrors);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<Schedule | null>(null);
  const submit = async () => {
    const { body, errors: local } = scheduleFields(draft, specs);
    if (local.size > 0) {
      setErrors({ fields: local, form: null });
      return;
    }
    setBusy(true);
    setErrors(noErrors);
    setSaved(null);
    try {
      const answer = await unwrap(api.PATCH('/v1/schedules/{id}', { params: { path: { id: schedule.id } }, body }));
      setSaved(answer);
      onSaved(answer);
    } catch (e) {
      setErrors(formErrorsOf(e, (path) => shownByScheduleForm(path, false)));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="edit-title">
      <h2 id="edit-title">Edit</h2>
      <ScheduleForm
        draft={draft}
        onChange={setDraft}
        specs={specs}
        errors={errors}
        busy={busy}
        submitLabel="Save changes"
        onSubmit={() => void submit()}
      />
      <p role="status" className="outcome outcome-ok" data-testid="saved-note">
        {saved === null
          ? ''
          : 'Saved. ' +
            (saved.nextFires[0] === undefined
              ? 'No next fire.'
              : `Next fire: ${inZone(saved.nextFires[0], saved.timezone)} (the next fire times are listed above).`)}
      </p>
    </section>
  );
}
