import { useCallback } from 'react';
import { Link } from 'react-router';
import { api } from '../api.ts';
import { unwrap } from '../api-errors.ts';
import { pretty, when } from '../executions/format.ts';
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
  const { items, error, hasOlder, loadingOlder, loadOlder } = usePagedHistory(load, keyOf, newestFirst);
  return (
    <section className="panel" aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      {error === null ? null : (
        <p role="alert" className="outcome outcome-error">
          {error}
        </p>
      )}
      {items === null && error === null ? <p role="status">Loading…</p> : null}
      {items !== null && items.length === 0 ? <p>No events yet.</p> : null}
      {items === null || items.length === 0 ? null : (
        <div className="table-wrap">
          <table className="history-table">
            <caption className="visually-hidden">Events this trigger saw, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Received</th>
                <th scope="col">Event</th>
                <th scope="col">Outcome</th>
                <th scope="col">What it did</th>
              </tr>
            </thead>
            <tbody>
              {items.map((event) => (
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
              ))}
            </tbody>
          </table>
        </div>
      )}
      {hasOlder ? (
        <button type="button" className="button" disabled={loadingOlder} onClick={() => void loadOlder()}>
          Older events
        </button>
      ) : null}
    </section>
  );
}
