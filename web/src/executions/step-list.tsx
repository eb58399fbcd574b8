import { Link } from 'react-router';
import { pretty, when } from './format.ts';
import { StepActions } from './step-actions.tsx';
import type { Execution, StepState } from './types.ts';

/** Every step of the execution: status, attempt, input, output, error, decisions, child execution. */
export function StepList({
  execution,
  kinds,
  people,
  onChanged,
}: {
  execution: Execution;
  kinds: Record<string, string>;
  people: ReadonlyMap<string, string>;
  onChanged: () => void;
}) {
  // In the order they started; then the recipe's steps not reached yet (they can be skipped or
  // get a new input before they start), in the recipe's order.
  const reached = Object.entries(execution.steps).sort(
    ([, a], [, b]) => (a.startedAt ?? Infinity) - (b.startedAt ?? Infinity),
  );
  const steps: Array<[string, StepState | undefined]> = [
    ...reached,
    ...Object.keys(kinds)
      .filter((id) => !(id in execution.steps))
      .map((id): [string, undefined] => [id, undefined]),
  ];
  return (
    <section aria-labelledby="steps-heading" className="panel">
      <h2 id="steps-heading">Steps</h2>
      {steps.length === 0 ? <p>No step has started yet.</p> : null}
      <ol className="step-list">
        {steps.map(([stepId, step]) => (
          // One shape whether or not the step was reached, so its actions (and the outcome of the
          // last one) stay mounted when the step starts, is skipped or gets a new input.
          <li
            key={stepId}
            className="step"
            data-step={stepId}
            data-status={step === undefined ? 'not-reached' : step.status}
          >
            <h3>
              <span className="step-name">{stepId}</span>{' '}
              {kinds[stepId] === undefined ? null : <span className="kind">{kinds[stepId]}</span>}{' '}
              {step === undefined ? (
                <span className="badge">not reached</span>
              ) : (
                <span className={`badge status-${step.status}`}>{step.status}</span>
              )}
              {execution.active.includes(stepId) ? <span className="badge">active</span> : null}
            </h3>
            {step === undefined ? null : <StepDetails stepId={stepId} step={step} people={people} />}
            <StepActions
              executionId={execution.id}
              stepId={stepId}
              step={step ?? null}
              kind={kinds[stepId]}
              onChanged={onChanged}
            />
          </li>
        ))}
      </ol>
    </section>
  );
}

/** What a reached step did: attempts, times, error, child execution, decisions, input and output. */
function StepDetails({
  stepId,
  step,
  people,
}: {
  stepId: string;
  step: StepState;
  people: ReadonlyMap<string, string>;
}) {
  return (
    <>
      <p className="meta">
        attempt {step.attempt} · tries {step.tries}
        {step.visit > 1 ? ` · visit ${step.visit}` : ''} · started {when(step.startedAt)} · finished{' '}
        {when(step.finishedAt)}
      </p>
      {step.error === null ? null : (
        <p className="step-error" role="note">
          Error: {step.error}
        </p>
      )}
      {step.childExecutionId ? (
        <p>
          Child execution: <Link to={`/executions/${step.childExecutionId}`}>{step.childExecutionId}</Link>
        </p>
      ) : null}
      {step.decisions.length > 0 ? (
        <ul className="decisions" aria-label={`Decisions on ${stepId}`}>
          {step.decisions.map((d) => (
            <li key={`${d.userId}-${d.at}`}>
              {d.approved ? 'Approved' : 'Rejected'} by{' '}
              <span title={d.userId}>{people.get(d.userId) ?? d.userId.slice(0, 8)}</span> at {when(d.at)}
              {d.comment ? `: “${d.comment}”` : ''}
            </li>
          ))}
        </ul>
      ) : null}
      <details>
        <summary>Input</summary>
        <pre>{pretty(step.input)}</pre>
      </details>
      <details open={step.output !== null && step.output !== undefined}>
        <summary>Output</summary>
        <pre>{pretty(step.output)}</pre>
      </details>
    </>
  );
}
