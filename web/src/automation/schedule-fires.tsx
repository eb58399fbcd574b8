import { useCallback } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';
import { HistorySection } from './history-section.tsx';
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
  const history = usePagedHistory(load, keyOf, newestFirst);
  return (
    <HistorySection
      id="fires-title"
      title="Fires"
      history={history}
      empty="No fires yet."
      caption={`Fires of this schedule, newest first (${timezone})`}
      columns={[`Fire time (${timezone})`, 'Outcome', 'Execution or reason']}
      older="Older fires"
      row={(fire) => (
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
      )}
    />
  );
}
