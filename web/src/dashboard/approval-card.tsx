import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import type { ApprovalView } from './state-model.ts';

/** Props of one approval. */
export interface ApprovalCardProps {
  readonly approval: ApprovalView;
  /** Viewers see approvals without the buttons (deciding needs control of the dashboard). */
  readonly canDecide: boolean;
}

/**
 * An approval step: its prompt, who decided what (from the state document, with their names), and
 * for people who may decide, Approve / Reject with a comment through the HTTP API. When the API
 * says the decision does not apply (409: decided already, no longer waiting), its reason is shown.
 */
export function ApprovalCard({ approval, canDecide }: ApprovalCardProps) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const waiting = approval.status === 'waiting';
  const decide = async (verdict: 'approve' | 'reject') => {
    setBusy(true);
    setProblem(null);
    const params = { path: { id: approval.executionId, stepId: approval.stepId } };
    const body = comment.trim() === '' ? {} : { comment };
    try {
      await unwrap(
        verdict === 'approve'
          ? api.POST('/v1/executions/{id}/steps/{stepId}/approve', { params, body })
          : api.POST('/v1/executions/{id}/steps/{stepId}/reject', { params, body }),
      );
      setComment('');
    } catch (error) {
      setProblem(messageOf(error));
    } finally {
      setBusy(false);
    }
  };
  const commentId = `comment-${approval.key}`;
  return (
    <article
      className={`approval status-${approval.status}`}
      aria-label={`Approval ${approval.stepId}`}
      data-approval={approval.key}
    >
      <header>
        <h4>
          {approval.stepId} <span className={`badge status-${approval.status}`}>{approval.status}</span>
        </h4>
        <Link to={`/executions/${encodeURIComponent(approval.executionId)}`}>Execution</Link>
      </header>
      {approval.prompt === '' ? null : <p className="prompt">{approval.prompt}</p>}
      {approval.quorum === null ? null : (
        <p className="muted">
          Needs {approval.quorum} approval{approval.quorum === 1 ? '' : 's'}
        </p>
      )}
      {approval.decisions.length === 0 ? null : (
        <ul className="decisions" aria-label="Decisions">
          {approval.decisions.map((d) => (
            <li key={d.userId} data-testid="decision">
              {d.approved ? 'Approved' : 'Rejected'} by {d.name ?? d.email ?? d.userId}
              {d.at === null ? null : (
                <time dateTime={new Date(d.at).toISOString()}> {new Date(d.at).toLocaleString()}</time>
              )}
              {d.comment === null ? null : (
                <>
                  {' '}
                  <q>{d.comment}</q>
                </>
              )}
            </li>
          ))}
        </ul>
      )}
      {waiting && canDecide ? (
        <div className="decide">
          <label htmlFor={commentId}>Comment (optional)</label>
          <textarea id={commentId} value={comment} rows={2} onChange={(e) => setComment(e.target.value)} />
          <div className="buttons">
            <button type="button" className="approve" disabled={busy} onClick={() => void decide('approve')}>
              Approve
            </button>
            <button type="button" className="reject" disabled={busy} onClick={() => void decide('reject')}>
              Reject
            </button>
          </div>
        </div>
      ) : null}
      {problem === null ? null : (
        <p role="alert" className="error">
          {problem}
        </p>
      )}
    </article>
  );
}
