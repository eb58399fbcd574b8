import { useCallback } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';
import { inZone } from './time.ts';
import type { ScheduleFire } from './types.ts';
import { usePagedHistory } from './use-paged.ts';

const pageSize = 20;
const keyOf = (fire: ScheduleFire) => fire.fireAt;
const newestFirst = (a: ScheduleFire, b: ScheduleFire) => Date.parse(b.fireAt) - Date.parse(a.fireAt);

/** A schedule's past fires, newest first: when, what happened, the execution it started or why none. */
export function ScheduleFires({ scheduleId, timezone }: { scheduleId: string; timezone: string }) {
  const load = useCallback(
    async (before: string | null) => {
      const answer = await unwrap(
        api.GET('/v1/schedules/{id}/fires', {
          params: { path: { id: scheduleId }, query: { limit: pageSize, ...(before === null ? {} : { before }) } },
        }),
      );
      return { items: answer.fires, next: answer.next };
    },
    [scheduleId],
  );
  const { items, error, hasOlder, loadingOlder, loadOlder } = usePagedHistory(load, keyOf, newestFirst);
  return (
    <section className="panel" aria-labelledby="fires-title">
      <h2 id="fires-title">Fires</h2>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {items === null && error === null ? <p role="status">Loading…</p> : null}
      {items !== null && items.length === 0 ? <p>No fires yet.</p> : null}
      {items === null || items.length === 0 ? null : (
        <div className="table-wrap">
          <table className="history-table">
            <caption className="visually-hidden">Fires of this schedule, newest first ({timezone})</caption>
            <thead>
              <tr>
                <th scope="col">Fire time ({timezone})</th>
                <th scope="col">Outcome</th>
                <th scope="col">Execution or reason</th>
              </tr>
            </thead>
            <tbody>
              {items.map((fire) => (
                <tr key={fire.fireAt} data-fire={fire.fireAt}>
                  <td>
                    <time dateTime={fire.fireAt}>{inZone(fire.fireAt, timezone)}</time>
                  </td>
                  <td>
                    <span className={`badge outcome-${fire.outcome}`}>{fire.outcome}</span>
                  </td>
                  <td>
                    {fire.executionId === null ? null : (
                      <Link to={`/executions/${fire.executionId}`}>execution {fire.executionId.slice(0, 8)}</Link>
                    )}
                    {fire.executionId !== null && fire.reason !== null ? ' · ' : null}
                    {fire.reason === null ? (
                      fire.executionId === null ? (
                        <span className="hint">—</span>
                      ) : null
                    ) : (
                      <span className="reason">{fire.reason}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasOlder ? (
        <button type="button" className="button" disabled={loadingOlder} onClick={() => void loadOlder()}>
          Older fires
        </button>
      ) : null}
    </section>
  );
}
