import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api.ts';
import { ApiError, unwrap } from '../api-errors.ts';
import { TerminalConnection, type TerminalStatus } from './terminal-connection.ts';
import './terminal.css';

/**
 * The dashboard's terminal (loaded on demand: this module, xterm.js and its fit addon are a chunk
 * of their own, imported only when someone opens it): xterm.js attached to the dashboard's terminal
 * sandbox through `TerminalConnection`, sized to its box, with the connection's state in a live
 * region. Closing the panel or leaving the page closes the socket.
 */
export default function TerminalPanel({ dashboardId, onClose }: { dashboardId: string; onClose: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);
  const connection = useRef<TerminalConnection | null>(null);
  const [status, setStatus] = useState<TerminalStatus>({ phase: 'connecting', message: 'Connecting…' });

  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const dark = window.matchMedia('(prefers-color-scheme: dark)');
    const terminal = new Terminal({
      cursorBlink: true,
      fontSize: 14,
      convertEol: false,
      screenReaderMode: true,
      theme: themeFor(dark.matches),
    });
    const fit = new FitAddon();
    terminal.loadAddon(fit);
    terminal.open(element);
    // Shift+Escape leaves the terminal (Tab belongs to the shell): focus goes to the Close button.
    terminal.attachCustomKeyEventHandler((event) => {
      if (event.type === 'keydown' && event.key === 'Escape' && event.shiftKey) {
        closeButton.current?.focus();
        return false;
      }
      return true;
    });
    const fitNow = () => {
      if (element.clientWidth > 0 && element.clientHeight > 0) fit.fit();
    };
    fitNow();
    const conn = new TerminalConnection({
      grant: async () => {
        const answer = await unwrap(
          api.POST('/v1/dashboards/{id}/terminals', { params: { path: { id: dashboardId } } }),
        );
        return { attachUrl: answer.attachUrl, token: answer.token, sandboxId: answer.session.sandboxId };
      },
      // Baton or the network away (0, 5xx) or the workspace at its sandbox limit (429) may pass; another 4xx will not.
      retryable: (error) =>
        !(error instanceof ApiError) || error.status === 0 || error.status === 429 || error.status >= 500,
      onStatus: (next) => {
        setStatus(next);
        if (next.phase === 'connected') terminal.focus();
      },
      onOutput: (bytes) => terminal.write(bytes),
      size: () => ({ cols: terminal.cols, rows: terminal.rows }),
    });
    connection.current = conn;
    const typed = terminal.onData((data) => conn.send(data));
    const resized = terminal.onResize(({ cols, rows }) => conn.resize(cols, rows));
    const observer = new ResizeObserver(() => fitNow());
    observer.observe(element);
    const scheme = () => (terminal.options.theme = themeFor(dark.matches));
    dark.addEventListener('change', scheme);
    const leave = () => conn.close();
    window.addEventListener('pagehide', leave);
    conn.start();
    return () => {
      window.removeEventListener('pagehide', leave);
      dark.removeEventListener('change', scheme);
      observer.disconnect();
      typed.dispose();
      resized.dispose();
      conn.close();
      connection.current = null;
      terminal.dispose();
    };
  }, [dashboardId]);

  return (
    <section className="terminal-panel" aria-labelledby="terminal-heading" data-phase={status.phase}>
      <header className="terminal-header">
        <h2 id="terminal-heading">Terminal</h2>
        <p
          className={`terminal-status phase-${status.phase}`}
          role="status"
          aria-live="polite"
          data-testid="terminal-status"
        >
          {status.message}
        </p>
        {status.phase === 'closed' ? (
          <button type="button" onClick={() => connection.current?.retry()}>
            Reconnect
          </button>
        ) : null}
        <button type="button" ref={closeButton} onClick={onClose}>
          Close terminal
        </button>
      </header>
      <p className="muted terminal-hint">Shift+Escape leaves the terminal.</p>
      <div className="terminal-box" ref={box} />
    </section>
  );
}

/** xterm draws on a canvas-like surface of its own: it gets the page's colours explicitly. */
function themeFor(dark: boolean): ITheme {
  return dark
    ? { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3', selectionBackground: '#264f78' }
    : { background: '#ffffff', foreground: '#1b1f24', cursor: '#1b1f24', selectionBackground: '#b6d7ff' };
}
