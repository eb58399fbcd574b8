import { lazy, Suspense, useRef, useState } from 'react';
import type * as Y from 'yjs';
import { readSessions } from './state-model.ts';
import { useYVersion } from './use-live.ts';

// xterm.js and the panel load only when someone opens a terminal: not in the dashboard's first bundle.
const TerminalPanel = lazy(() => import('../terminal/terminal-panel.tsx'));

/**
 * The dashboard's sessions (sandboxes) from the state document: state and region; and its
 * terminal, opened here for people who may control the dashboard's executions (viewers get the
 * button disabled, saying why).
 */
export function SessionsPanel({
  state,
  dashboardId,
  canOpenTerminal,
}: {
  state: Y.Doc;
  dashboardId: string;
  canOpenTerminal: boolean;
}) {
  useYVersion(state.getMap('sessions'));
  const sessions = readSessions(state);
  const [terminalOpen, setTerminalOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const closeTerminal = () => {
    setTerminalOpen(false);
    button.current?.focus();
  };
  return (
    <section className="sessions-panel" aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions</h2>
      <p>
        <button
          type="button"
          ref={button}
          disabled={!canOpenTerminal}
          aria-expanded={terminalOpen}
          title={
            canOpenTerminal
              ? "Opens a terminal on the dashboard's own sandbox"
              : 'Opening a terminal needs control of this dashboard (viewers cannot)'
          }
          onClick={() => (terminalOpen ? closeTerminal() : setTerminalOpen(true))}
        >
          Terminal
        </button>
        {canOpenTerminal ? null : <span className="muted"> (needs control access)</span>}
      </p>
      {sessions.length === 0 ? (
        <p className="muted">No sessions.</p>
      ) : (
        <ul>
          {sessions.map((s) => (
            <li key={s.id} data-session={s.id}>
              <span>{s.purpose || 'session'}</span> <span className={`badge status-${s.status}`}>{s.status}</span>
              {s.region === null ? null : <span className="muted"> in {s.region}</span>}
              {s.endedReason === null ? null : <span className="muted"> ({s.endedReason})</span>}
            </li>
          ))}
        </ul>
      )}
      {terminalOpen ? (
        <Suspense fallback={<p role="status">Loading the terminal…</p>}>
          <TerminalPanel dashboardId={dashboardId} onClose={closeTerminal} />
        </Suspense>
      ) : null}
    </section>
  );
}
