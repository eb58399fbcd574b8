import { pretty, when } from './format.ts';
import type { HistoryEntry } from './types.ts';

/** What an entry says in a few words: its type and the step, actor or reason it names. */
function headline(entry: HistoryEntry): string {
  const e = entry.event;
  const parts = [String(e.type ?? 'event')];
  if (typeof e.stepId === 'string') parts.push(`“${e.stepId}”`);
  if (typeof e.approved === 'boolean') parts.push(e.approved ? 'approved' : 'rejected');
  if (typeof e.name === 'string') parts.push(`“${e.name}”`);
  if (typeof e.reason === 'string') parts.push(`— ${e.reason}`);
  if (typeof e.error === 'string') parts.push(`— ${e.error}`);
  return parts.join(' ');
}

/** The execution's history, oldest first, each entry expandable to its whole event. */
export function Timeline({ history }: { history: HistoryEntry[] }) {
  return (
    <section aria-labelledby="timeline-heading" className="panel">
      <h2 id="timeline-heading">History</h2>
      {history.length === 0 ? <p>No history yet.</p> : null}
      <ol className="timeline" aria-live="polite" aria-relevant="additions">
        {history.map((entry) => (
          <li key={entry.seq} data-type={String(entry.event.type ?? '')}>
            <time dateTime={entry.createdAt}>{when(entry.createdAt)}</time>{' '}
            <details>
              <summary>{headline(entry)}</summary>
              <pre>{pretty(entry.event)}</pre>
            </details>
          </li>
        ))}
      </ol>
    </section>
  );
}
