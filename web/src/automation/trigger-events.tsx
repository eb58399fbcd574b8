import { useCallback } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';
import { pretty, when } from '../executions/format.ts';
import { HistorySection } from './history-section.tsx';
import type { TriggerEvent } from './types.ts';
import { usePagedHistory } from './use-paged.ts';

const pageSize = 20;
const keyOf = (event: TriggerEvent) => event.id;
const newestFirst = (a: TriggerEvent, b: TriggerEvent) => b.seq - a.seq;

/** What the trigger did with one event: the execution it started, how many it woke, or why nothing. */
function Firing({ event }: { event: TriggerEvent }) {
  const firing = event.firing;
  if (firing === null) return <span className="hint">pending</span>;
  return (
    <>
      {firing.executionId === null ? null : (
        <Link to={`/executions/${firing.executionId}`}>execution {firing.executionId.slice(0, 8)}</Link>
      )}
      {firing.outcome === 'woke' ? (
        <span>
          {firing.woke ?? 0} execution{firing.woke === 1 ? '' : 's'} woken
        </span>
      ) : null}
      {firing.reason === null ? null : (
        <span className="reason">
          {firing.executionId !== null || firing.outcome === 'woke' ? ' · ' : ''}
          {firing.reason}
        </span>
      )}
    </>
  );
}

/** The events a trigger saw, newest first, each with its payload and what the trigger did. */
export function TriggerEvents({ triggerId }: { triggerId: string }) {
  const load = useCallback(
    async (before: number | null) => {
      const answer = await unwrap(
        api.GET('/v1/triggers/{id}/events', {
          params: { path: { id: triggerId }, query: { limit: pageSize, ...(before === null ? {} : { before }) } },
        }),
      );
      return { items: answer.events, next: answer.nextBefore };
    },
    [triggerId],
  );
  const history = usePagedHistory(load, keyOf, newestFirst);
  return (
    <HistorySection
      id="events-title"
      title="Events"
      history={history}
      empty="No events yet."
      caption="Events this trigger saw, newest first"
      columns={['Received', 'Event', 'Outcome', 'What it did']}
      older="Older events"
      row={(event) => (
        <tr key={event.id} data-event={event.deliveryId}>
          <td>
            <time dateTime={event.receivedAt}>{when(event.receivedAt)}</time>
          </td>
          <td>
            <code>{event.name}</code> <span className="hint">delivery {event.deliveryId}</span>
            <details>
              <summary>payload</summary>
              <pre>{pretty(event.payload)}</pre>
            </details>
          </td>
          <td>
            <span className={`badge outcome-${event.firing?.outcome ?? 'pending'}`}>
              {event.firing?.outcome ?? 'pending'}
            </span>
          </td>
          <td>
            <Firing event={event} />
          </td>
        </tr>
      )}
    />
  );
}
