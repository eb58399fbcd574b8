import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { messageOf, unwrap } from '../api-errors.ts';
import { when } from '../executions/format.ts';
import type { Inbox } from '../executions/types.ts';

/**
 * "Needs you": the caller's inbox across workspaces (approvals waiting for them, failed runs of
 * their dashboards), with counts; each links to the execution page, where they act on it.
 */
export function NeedsYou() {
  const [inbox, setInbox] = useState<Inbox | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    const load = () =>
      void unwrap(api.GET('/v1/me/inbox', { params: { query: { limit: 20 } } }))
        .then((value) => live && (setInbox(value), setError(null)))
        .catch((e: unknown) => live && setError(messageOf(e)));
    load();
    // Re-read when the person comes back to the tab: what needs them may have changed meanwhile.
    window.addEventListener('focus', load);
    return () => {
      live = false;
      window.removeEventListener('focus', load);
    };
  }, []);

  return (
    <section aria-labelledby="inbox-heading" className="panel inbox">
      <h2 id="inbox-heading">Needs you</h2>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {inbox === null ? (
        error === null ? (
          <p role="status">Loading…</p>
        ) : null
      ) : (
        <>
          <h3 id="approvals-heading">
            Approvals waiting{' '}
            <span className="count" data-testid="approvals-count">
              {inbox.counts.approvals}
            </span>
          </h3>
          {inbox.approvals.length === 0 ? <p>Nothing to decide.</p> : null}
          <ul className="plain card-list" aria-labelledby="approvals-heading">
            {inbox.approvals.map((a) => (
              <li key={`${a.executionId}:${a.stepId}`} className="card" data-execution={a.executionId}>
                <Link to={`/executions/${a.executionId}`}>
                  {a.recipe.name}: {a.prompt}
                </Link>
                <p className="meta">
                  step {a.stepId} · {a.approvals} of {a.quorum} approvals · {a.dashboard.name} ({a.workspace.name}) ·
                  since {when(a.waitingSince)}
                </p>
              </li>
            ))}
          </ul>
          <h3 id="failed-heading">
            Failed runs{' '}
            <span className="count" data-testid="failed-count">
              {inbox.counts.failed}
            </span>
          </h3>
          {inbox.failed.length === 0 ? <p>No failures.</p> : null}
          <ul className="plain card-list" aria-labelledby="failed-heading">
            {inbox.failed.map((f) => (
              <li key={f.executionId} className="card" data-execution={f.executionId}>
                <Link to={`/executions/${f.executionId}`}>
                  {f.recipe.name}
                  {f.failedStep === null ? '' : ` failed at “${f.failedStep}”`}
                </Link>
                <p className="meta">
                  {f.reason ?? 'no reason given'} · {f.dashboard.name} ({f.workspace.name}) · {when(f.failedAt)}
                  {f.links.retry === null ? '' : ' · can be retried'}
                </p>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
