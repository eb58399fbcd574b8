import { useId, useState, type FormEvent } from 'react';
import { api } from '../api.ts';
import { OutcomeNote } from './outcome-note.tsx';
import type { Execution } from './types.ts';
import { parseJson, useAction } from './use-action.ts';

/**
 * The execution-wide interventions: pause, resume, cancel (with a reason), move to a newer recipe
 * version, send an event. Every button is offered whatever the status: the server decides, and a
 * 409 shows its reason (what is true now) instead of a button that silently does nothing.
 */
export function ExecutionActions({
  execution,
  latestVersion,
  onChanged,
}: {
  execution: Execution;
  latestVersion: number | null;
  onChanged: () => void;
}) {
  const { busy, outcome, run } = useAction(onChanged);
  const path = { id: execution.id };
  const [reason, setReason] = useState('');
  const [version, setVersion] = useState('');
  const [eventName, setEventName] = useState('');
  const [payload, setPayload] = useState('');
  const [formError, setFormError] = useState<string | null>(null);
  const ids = { reason: useId(), version: useId(), event: useId(), payload: useId() };

  const move = (e: FormEvent) => {
    e.preventDefault();
    const n = Number(version === '' ? latestVersion : version);
    if (!Number.isInteger(n) || n < 1) return setFormError('Choose a version number');
    setFormError(null);
    void run(`Move to version ${n}`, () =>
      api.POST('/v1/executions/{id}/move', { params: { path }, body: { version: n } }),
    );
  };
  const send = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseJson(payload, true);
    if (!parsed.ok) return setFormError(`Event payload: ${parsed.message}`);
    if (eventName.trim() === '') return setFormError('Name the event');
    setFormError(null);
    void run(`Send event "${eventName}"`, () =>
      api.POST('/v1/executions/{id}/events', {
        params: { path },
        body: parsed.value === undefined ? { name: eventName } : { name: eventName, payload: parsed.value },
      }),
    );
  };

  return (
    <section aria-labelledby="actions-heading" className="panel">
      <h2 id="actions-heading">Intervene</h2>
      <div className="button-row">
        <button
          type="button"
          disabled={busy}
          onClick={() => void run('Pause', () => api.POST('/v1/executions/{id}/pause', { params: { path }, body: {} }))}
        >
          Pause
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() =>
            void run('Resume', () => api.POST('/v1/executions/{id}/resume', { params: { path }, body: {} }))
          }
        >
          Resume
        </button>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run('Cancel', () =>
            api.POST('/v1/executions/{id}/cancel', { params: { path }, body: reason === '' ? {} : { reason } }),
          );
        }}
      >
        <label htmlFor={ids.reason}>Reason (optional)</label>
        <input id={ids.reason} value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
        <button type="submit" disabled={busy} className="danger">
          Cancel execution
        </button>
      </form>
      <form className="inline-form" onSubmit={move}>
        <label htmlFor={ids.version}>Move to version</label>
        <input
          id={ids.version}
          type="number"
          min={1}
          inputMode="numeric"
          placeholder={latestVersion === null ? '' : String(latestVersion)}
          value={version}
          onChange={(e) => setVersion(e.target.value)}
        />
        <button type="submit" disabled={busy}>
          Move
        </button>
        <span className="hint">
          running version {execution.recipeVersion}
          {latestVersion === null ? '' : `, latest ${latestVersion}`}
        </span>
      </form>
      <form className="inline-form" onSubmit={send}>
        <label htmlFor={ids.event}>Event name</label>
        <input id={ids.event} value={eventName} maxLength={200} onChange={(e) => setEventName(e.target.value)} />
        <label htmlFor={ids.payload}>Payload (JSON, optional)</label>
        <textarea id={ids.payload} rows={2} value={payload} onChange={(e) => setPayload(e.target.value)} />
        <button type="submit" disabled={busy}>
          Send event
        </button>
      </form>
      {formError === null ? null : (
        <p className="outcome outcome-error" role="alert">
          {formError}
        </p>
      )}
      <OutcomeNote outcome={outcome} />
    </section>
  );
}
