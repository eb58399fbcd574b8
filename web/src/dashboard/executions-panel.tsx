import { Link } from 'react-router';
import type * as Y from 'yjs';
import { ApprovalCard } from './approval-card.tsx';
import {
  readApprovals,
  readArtifacts,
  readExecutions,
  readProgress,
  safeHref,
  type ArtifactView,
  type ProgressView,
} from './state-model.ts';
import { useYVersion } from './use-live.ts';

/** Props of the executions panel. */
export interface ExecutionsPanelProps {
  /** The state document (read-only: only the server writes it). */
  readonly state: Y.Doc;
  readonly canDecide: boolean;
}

/**
 * Executions as the server mirrors them into the state document: each step's status, attempt,
 * error, latest progress and artifacts as they arrive; approvals waiting first.
 */
export function ExecutionsPanel({ state, canDecide }: ExecutionsPanelProps) {
  useYVersion(state.getMap('executions'));
  useYVersion(state.getMap('approvals'));
  useYVersion(state.getMap('progress'));
  useYVersion(state.getMap('artifacts'));
  const executions = readExecutions(state);
  const approvals = readApprovals(state);
  const progress = readProgress(state);
  const artifacts = readArtifacts(state);
  const waiting = approvals.filter((a) => a.status === 'waiting');
  return (
    <>
      <section className="approvals-panel" aria-labelledby="approvals-heading">
        <h2 id="approvals-heading">Approvals{waiting.length > 0 ? ` (${waiting.length} waiting)` : ''}</h2>
        {approvals.length === 0 ? (
          <p className="muted">No approvals.</p>
        ) : (
          approvals.map((a) => <ApprovalCard key={a.key} approval={a} canDecide={canDecide} />)
        )}
      </section>
      <section className="executions-panel" aria-labelledby="executions-heading">
        <h2 id="executions-heading">Executions</h2>
        {executions.length === 0 ? <p className="muted">No executions yet.</p> : null}
        {executions.map((e) => (
          <article key={e.id} className="execution" aria-label={`Execution ${e.id.slice(0, 8)}`} data-execution={e.id}>
            <header>
              {/* The state document names the recipe by id only: the link names the execution. */}
              <Link to={`/executions/${encodeURIComponent(e.id)}`}>Execution {e.id.slice(0, 8)}</Link>{' '}
              {e.recipeVersion === null ? null : <span className="muted">recipe v{e.recipeVersion}</span>}{' '}
              <span className={`badge status-${e.status}`}>{e.status}</span>
              {e.reason === null ? null : <span className="muted"> {e.reason}</span>}
            </header>
            <table className="steps">
              <caption className="visually-hidden">Steps</caption>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Status</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {e.steps.map((s) => (
                  <tr key={s.id} data-step={s.id}>
                    <th scope="row">{s.id}</th>
                    <td>
                      <span className={`badge status-${s.status}`}>{s.status}</span>
                    </td>
                    <td>{s.attempt ?? '—'}</td>
                    <td>
                      {s.error === null ? null : <p className="error">{s.error}</p>}
                      <StepProgress reports={progress.filter((p) => p.executionId === e.id && p.stepId === s.id)} />
                      <StepArtifacts artifacts={artifacts.filter((a) => a.executionId === e.id && a.stepId === s.id)} />
                      {s.childExecutionId === null ? null : (
                        <Link to={`/executions/${encodeURIComponent(s.childExecutionId)}`}>Child execution</Link>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </article>
        ))}
      </section>
    </>
  );
}

function StepProgress({ reports }: { reports: readonly ProgressView[] }) {
  const latest = [...reports].sort((a, b) => (b.attempt ?? 0) - (a.attempt ?? 0))[0];
  if (latest === undefined) return null;
  return (
    <div className="progress">
      {latest.percent === null ? null : (
        <progress max={100} value={latest.percent} aria-label={`Progress ${latest.percent}%`} />
      )}
      <span>{latest.message}</span>
    </div>
  );
}

function StepArtifacts({ artifacts }: { artifacts: readonly ArtifactView[] }) {
  if (artifacts.length === 0) return null;
  return (
    <ul className="artifacts" aria-label="Artifacts">
      {artifacts.map((a) => {
        const href = safeHref(a.url);
        const title = a.title || a.kind || 'artifact';
        return (
          <li key={a.key}>
            {href === null ? (
              <span>{title}</span>
            ) : (
              <a href={href} target="_blank" rel="noopener noreferrer">
                {title}
              </a>
            )}{' '}
            <span className="muted">{a.kind}</span>
            {a.content === '' ? null : (
              <details>
                <summary>Preview</summary>
                <pre>{a.content}</pre>
              </details>
            )}
          </li>
        );
      })}
    </ul>
  );
}
