import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import {
  TerminalConnection,
  type TerminalGrant,
  type TerminalStatus,
} from '../../../web/src/terminal/terminal-connection.ts';
import { eventually } from '../../support/eventually.ts';

// The console's terminal connection against a scripted sandbox (a ws server; Node's WebSocket is the
// browser's API): what it sends, and what it does on each close code of the contract.

/** What the scripted sandbox does with the next attach: say ready, or close with a code. */
type Script = { ready: true } | { close: number };

let server: WebSocketServer;
let url: string;
const scripts: Script[] = [];
const received: Array<{ auth: unknown; frames: Array<string | Buffer> }> = [];
let attached: ServerSocket | undefined;

beforeAll(async () => {
  // The page listens for CSP violations on `document`; Node has none.
  (globalThis as { document?: EventTarget }).document ??= new EventTarget();
  server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (offered) => (offered.has('baton.terminal.v1') ? 'baton.terminal.v1' : false),
  });
  await new Promise((resolve) => server.once('listening', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sandboxes/sbx-1/terminal`;
  server.on('connection', (socket) => {
    const log: { auth: unknown; frames: Array<string | Buffer> } = { auth: undefined, frames: [] };
    received.push(log);
    socket.on('message', (data, isBinary) => {
      if (log.auth === undefined) {
        log.auth = JSON.parse(String(data));
        const script = scripts.shift() ?? { ready: true };
        if ('close' in script) return socket.close(script.close, 'scripted');
        attached = socket;
        socket.send(JSON.stringify({ type: 'ready', sandboxId: `sbx-${received.length}` }));
        socket.send(Buffer.from('banner'), { binary: true });
        return;
      }
      log.frames.push(isBinary ? Buffer.from(data as Buffer) : String(data));
    });
  });
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function connect(grant: () => Promise<TerminalGrant>): {
  connection: TerminalConnection;
  statuses: TerminalStatus[];
  output: string[];
} {
  const statuses: TerminalStatus[] = [];
  const output: string[] = [];
  const connection = new TerminalConnection({
    grant,
    retryable: (error) => !(error instanceof Error && error.message.startsWith('403')),
    onStatus: (status) => statuses.push(status),
    onOutput: (bytes) => output.push(new TextDecoder().decode(bytes)),
    size: () => ({ cols: 120, rows: 33 }),
    firstBackoffMs: 10,
  });
  connection.start();
  return { connection, statuses, output };
}

const last = (statuses: TerminalStatus[]) => statuses.at(-1);

describe('TerminalConnection', () => {
  it('presents the token in the first frame, then sends its size (text) and typed input (binary)', async () => {
    received.length = 0;
    const { connection, statuses, output } = connect(async () => ({
      attachUrl: url,
      token: 'jwt-1',
      sandboxId: 'sbx-1',
    }));
    await eventually(() => last(statuses)?.phase === 'connected', 5_000, 'connected');
    expect(last(statuses)?.message).toBe('Connected to sandbox sbx-1.');
    await eventually(() => output.join('') === 'banner', 5_000, 'the banner');
    connection.send('ls\r');
    await eventually(() => received[0]?.frames.length === 2, 5_000, 'two frames');
    expect(received[0]?.auth).toEqual({ type: 'auth', token: 'jwt-1' });
    expect(received[0]?.frames[0]).toBe(JSON.stringify({ type: 'resize', cols: 120, rows: 33 }));
    expect(Buffer.isBuffer(received[0]?.frames[1])).toBe(true);
    expect(String(received[0]?.frames[1])).toBe('ls\r');
    connection.close();
    expect(last(statuses)).toEqual({ phase: 'closed', message: 'Closed.' });
  });

  it('asks for a new terminal at once when the sandbox goes (4404) and reattaches', async () => {
    received.length = 0;
    let grants = 0;
    const { connection, statuses } = connect(async () => ({
      attachUrl: url,
      token: `jwt-${++grants}`,
      sandboxId: null,
    }));
    await eventually(() => last(statuses)?.phase === 'connected', 5_000, 'connected');
    attached?.close(4404, 'the sandbox is gone');
    await eventually(() => grants === 2 && last(statuses)?.phase === 'connected', 5_000, 'reattached');
    expect(statuses.map((s) => s.phase)).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    expect(statuses[2]?.message).toBe('Reconnecting: the sandbox was replaced or stopped; asking for a new terminal…');
    expect(received[1]?.auth).toEqual({ type: 'auth', token: 'jwt-2' });
    connection.close();
  });

  it('retries an expired token with a new one, but stops after the third refusal and says why', async () => {
    scripts.push({ close: 4419 }, { close: 4401 }, { close: 4401 }, { close: 4401 });
    let grants = 0;
    const { statuses } = connect(async () => ({ attachUrl: url, token: `jwt-${++grants}`, sandboxId: null }));
    await eventually(() => last(statuses)?.phase === 'closed', 10_000, 'closed');
    expect(grants).toBe(4);
    expect(statuses.some((s) => s.message.startsWith('Reconnecting: the token expired'))).toBe(true);
    expect(last(statuses)?.message).toBe('Closed: the terminal refused the token (4401).');
  });

  it('stops at once on an API refusal, and retries while the API is away', async () => {
    const refused = connect(async () => {
      throw new Error('403 you may not control this dashboard');
    });
    await eventually(() => last(refused.statuses)?.phase === 'closed', 5_000, 'closed');
    expect(last(refused.statuses)?.message).toBe('Could not open a terminal: 403 you may not control this dashboard');

    let calls = 0;
    const away = connect(async () => {
      if (++calls < 3) throw new Error('The server could not be reached');
      return { attachUrl: url, token: 'jwt', sandboxId: 'sbx-9' };
    });
    await eventually(() => last(away.statuses)?.phase === 'connected', 5_000, 'connected after retries');
    expect(away.statuses.filter((s) => s.phase === 'reconnecting')).toHaveLength(2);
    away.connection.close();
  });
});
