import { useId, useState } from 'react';
import { api } from '../api.ts';
import { OutcomeNote } from './outcome-note.tsx';
import { pretty } from './format.ts';
import type { StepState } from './types.ts';
import { parseJson, useAction } from './use-action.ts';

/**
 * One step's interventions: approve or reject with a comment (approval steps), retry, skip with an
 * output, edit the input of a step that has not started. Offered whatever the step's state; the
 * server answers 409 with the reason when one does not apply, and that reason is shown here.
 */
export function StepActions({
  executionId,
  stepId,
  step,
  kind,
  onChanged,
}: {
  executionId: string;
  stepId: string;
  step: StepState | null;
  kind: string | undefined;
  onChanged: () => void;
}) {
  const { busy, outcome, run } = useAction(onChanged);
  const path = { id: executionId, stepId };
  const [comment, setComment] = useState('');
  const [output, setOutput] = useState('');
  const [input, setInput] = useState(() => (step === null || step.input === null ? '{}' : pretty(step.input)));
  const [formError, setFormError] = useState<string | null>(null);
  const ids = { comment: useId(), output: useId(), input: useId() };
  const decide = (approved: boolean) => {
    const body = comment === '' ? {} : { comment };
    void run(`${approved ? 'Approve' : 'Reject'} "${stepId}"`, () =>
      approved
        ? api.POST('/v1/executions/{id}/steps/{stepId}/approve', { params: { path }, body })
        : api.POST('/v1/executions/{id}/steps/{stepId}/reject', { params: { path }, body }),
    );
  };

  return (
    <div className="step-actions">
      {kind === 'approval' || kind === undefined ? (
        <div className="inline-form">
          <label htmlFor={ids.comment}>Comment</label>
          <input id={ids.comment} value={comment} maxLength={5000} onChange={(e) => setComment(e.target.value)} />
          <button type="button" disabled={busy} className="primary" onClick={() => decide(true)}>
            Approve
          </button>
          <button type="button" disabled={busy} className="danger" onClick={() => decide(false)}>
            Reject
          </button>
        </div>
      ) : null}
      <details>
        <summary>More actions on “{stepId}”</summary>
        <div className="button-row">
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void run(`Retry "${stepId}"`, () =>
                api.POST('/v1/executions/{id}/steps/{stepId}/retry', { params: { path }, body: {} }),
              )
            }
          >
            Retry step
          </button>
        </div>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const parsed = parseJson(output, true);
            if (!parsed.ok) return setFormError(`Output: ${parsed.message}`);
            setFormError(null);
            void run(`Skip "${stepId}"`, () =>
              api.POST('/v1/executions/{id}/steps/{stepId}/skip', {
                params: { path },
                body: parsed.value === undefined ? {} : { output: parsed.value },
              }),
            );
          }}
        >
          <label htmlFor={ids.output}>Output to skip with (JSON, optional)</label>
          <textarea id={ids.output} rows={2} value={output} onChange={(e) => setOutput(e.target.value)} />
          <button type="submit" disabled={busy}>
            Skip step
          </button>
        </form>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const parsed = parseJson(input, false);
            if (!parsed.ok) return setFormError(`Input: ${parsed.message}`);
            if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value))
              return setFormError('Input: must be a JSON object');
            setFormError(null);
            const replacement = parsed.value as Record<string, unknown>;
            void run(`Edit input of "${stepId}"`, () =>
              api.POST('/v1/executions/{id}/steps/{stepId}/input', { params: { path }, body: { input: replacement } }),
            );
          }}
        >
          <label htmlFor={ids.input}>New input (JSON object)</label>
          <textarea id={ids.input} rows={3} value={input} onChange={(e) => setInput(e.target.value)} />
          <button type="submit" disabled={busy}>
            Replace input
          </button>
        </form>
      </details>
      {formError === null ? null : (
        <p className="outcome outcome-error" role="alert">
          {formError}
        </p>
      )}
      <OutcomeNote outcome={outcome} />
    </div>
  );
}
