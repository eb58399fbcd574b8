import type * as Y from 'yjs';
import { readSessions } from './state-model.ts';
import { useYVersion } from './use-live.ts';

/** The dashboard's sessions (sandboxes) from the state document: state and region. */
export function SessionsPanel({ state }: { state: Y.Doc }) {
  useYVersion(state.getMap('sessions'));
  const sessions = readSessions(state);
  return (
    <section className="sessions-panel" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      {sessions.length === 0 ? <p className="muted">No sessions.</p> : (
        <ul>
          {sessions.map((s) => (
            <li key={s.id} data-session={s.id}>
              <span>{s.purpose || 'session'}</span> <span className={`badge status-${s.status}`}>{s.status}</span>
              {s.region === null ? null : <span className="muted"> in {s.region}</span>}
              {s.endedReason === null ? null : <span className="muted"> ({s.endedReason})</span>}{' '}
              {/* The terminal panel is another part of issue 21; the button says so rather than hide. */}
              <button type="button" disabled title="Terminal: coming soon">
                Terminal (coming soon)
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
