import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  TerminalConnection,
  type TerminalGrant,
  type TerminalStatus,
} from '../../../web/src/terminal/terminal-connection.ts';
import { eventually } from '../../support/eventually.ts';
import { startScriptedTerminalSandbox, type ScriptedTerminalSandbox } from '../../support/scripted-terminal-sandbox.ts';

// What only the console's terminal connection adds to the shared rules
// (test/unit/client/terminal-attach.test.ts): its phases and words for the panel, a socket the page's
// CSP blocks, and starting again. Node's WebSocket is the browser's API; `document` is an EventTarget.

let sandbox: ScriptedTerminalSandbox;

beforeAll(async () => {
  // The page listens for CSP violations on `document`; Node has none.
  (globalThis as { document?: EventTarget }).document ??= new EventTarget();
  sandbox = await startScriptedTerminalSandbox();
});

beforeEach(() => {
  sandbox.received.length = 0;
  sandbox.scripts.length = 0;
});

afterAll(async () => {
  await sandbox.close();
});

function connect(grant: () => Promise<TerminalGrant>, firstBackoffMs = 10) {
  const statuses: TerminalStatus[] = [];
  const output: string[] = [];
  const connection = new TerminalConnection({
    grant,
    retryable: (error) => !(error instanceof Error && error.message.startsWith('403')),
    onStatus: (status) => statuses.push(status),
    onOutput: (bytes) => output.push(new TextDecoder().decode(bytes)),
    size: () => ({ cols: 120, rows: 33 }),
    firstBackoffMs,
  });
  connection.start();
  return { connection, statuses, output };
}

const last = (statuses: TerminalStatus[]) => statuses.at(-1);

describe('TerminalConnection', () => {
  it('goes connecting, connected, reconnecting, connected, sends text as binary, closes', async () => {
    let grants = 0;
    const { connection, statuses } = connect(async () => ({
      attachUrl: sandbox.url,
      token: `jwt-${++grants}`,
      sandboxId: null,
    }));
    await eventually(() => last(statuses)?.phase === 'connected', 5_000, 'connected');
    connection.send('ls\r');
    await eventually(() => sandbox.received[0]?.frames.length === 2, 5_000, 'two frames');
    expect(Buffer.isBuffer(sandbox.received[0]?.frames[1])).toBe(true);
    expect(String(sandbox.received[0]?.frames[1])).toBe('ls\r');
    sandbox.attached()?.close(4404, 'the sandbox is gone');
    await eventually(() => grants === 2 && last(statuses)?.phase === 'connected', 5_000, 'reattached');
    expect(statuses).toEqual([
      { phase: 'connecting', message: 'Connecting…' },
      { phase: 'connected', message: 'Connected to sandbox sbx-1.' },
      {
        phase: 'reconnecting',
        message: 'Reconnecting: the sandbox was replaced or stopped; asking for a new terminal…',
      },
      { phase: 'connected', message: 'Connected to sandbox sbx-2.' },
    ]);
    connection.close();
    expect(last(statuses)).toEqual({ phase: 'closed', message: 'Closed.' });
    await eventually(() => sandbox.received[1]?.closed, 5_000, 'the close');
    expect(sandbox.received[1]?.closed).toEqual({ code: 1000, reason: 'closed by the user' });
  });

  it('says why it closed (a refusal, giving up) and starts again on retry', async () => {
    sandbox.scripts.push({ close: 4401 }, { close: 4401 }, { close: 4401 });
    const refused = connect(async () => ({ attachUrl: sandbox.url, token: 'jwt', sandboxId: null }));
    await eventually(() => last(refused.statuses)?.phase === 'closed', 10_000, 'closed');
    expect(last(refused.statuses)?.message).toBe('Closed: the terminal refused the token (4401).');
    refused.connection.retry();
    await eventually(() => last(refused.statuses)?.phase === 'connected', 5_000, 'connected again');
    refused.connection.close();

    const away = connect(async () => {
      throw new Error('The server could not be reached');
    }, 1);
    await eventually(() => last(away.statuses)?.phase === 'closed', 5_000, 'gave up');
    expect(last(away.statuses)?.message).toBe(
      'Closed: Could not open a terminal (The server could not be reached); gave up after 6 attempts.',
    );
  });

  it("closes with the reason when the page's CSP blocks the terminal's origin", async () => {
    // A blocked socket never gets as far as "ready": the sandbox stays silent, so the violation is
    // dispatched while the console still watches for it, however slowly this machine runs.
    sandbox.scripts.push({ silent: true });
    const { statuses } = connect(async () => ({ attachUrl: sandbox.url, token: 'jwt', sandboxId: null }));
    await eventually(() => sandbox.received[0]?.auth !== undefined, 5_000, 'the attach');
    const origin = new URL(sandbox.url).origin;
    const violation = Object.assign(new Event('securitypolicyviolation'), {
      effectiveDirective: 'connect-src',
      blockedURI: sandbox.url,
    });
    document.dispatchEvent(violation);
    const closed = await eventually(() => statuses.find((status) => status.phase === 'closed'), 5_000, 'closed');
    expect(closed.message).toBe(
      `Closed: this console may not connect to ${origin} (its Content-Security-Policy); ` +
        `the server's BATON_TERMINAL_ORIGINS must list it.`,
    );
  });
});
