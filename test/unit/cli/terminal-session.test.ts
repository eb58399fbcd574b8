import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { TerminalSession, type TerminalEnd, type TerminalGrant } from '../../../cli/terminal/terminal-session.ts';
import { eventually } from '../../support/eventually.ts';

// The CLI's terminal session on Node's WebSocket against a scripted sandbox (a ws server): what it
// sends, and what it does on each close code of the contract (api/sandbox.openapi.yaml).

/** What the scripted sandbox does with the next attach: say ready, or close with a code. */
type Script = { ready: true } | { close: number };

let server: WebSocketServer;
let url: string;
const scripts: Script[] = [];
const received: Array<{ auth: unknown; frames: Array<string | Buffer> }> = [];
let attached: ServerSocket | undefined;

beforeAll(async () => {
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
  for (const client of server.clients) client.terminate();
  await new Promise((resolve) => server.close(resolve));
});

function start(
  grant: () => Promise<TerminalGrant>,
  finalGrantError: (error: unknown) => number | undefined = () => undefined,
) {
  const statuses: string[] = [];
  const output: string[] = [];
  const session = new TerminalSession({
    grant,
    finalGrantError,
    onStatus: (line) => statuses.push(line),
    onOutput: (bytes) => output.push(new TextDecoder().decode(bytes)),
    size: () => ({ cols: 120, rows: 33 }),
    firstBackoffMs: 10,
  });
  let end: TerminalEnd | undefined;
  const ended = session.start().then((value) => (end = value));
  return { session, statuses, output, ended, end: () => end };
}

const bytes = (text: string) => new TextEncoder().encode(text);

describe('TerminalSession', () => {
  it('sends the token first, its size after ready, input typed before ready once attached, then input as binary', async () => {
    received.length = 0;
    const t = start(async () => ({ attachUrl: url, token: 'jwt-1', sandboxId: 'sbx-1' }));
    t.session.send(bytes('early\r'));
    await eventually(() => t.output.join('') === 'banner', 5_000, 'the banner');
    t.session.send(bytes('ls\r'));
    await eventually(() => received[0]?.frames.length === 3, 5_000, 'three frames');
    expect(received[0]?.auth).toEqual({ type: 'auth', token: 'jwt-1' });
    expect(received[0]?.frames[0]).toBe(JSON.stringify({ type: 'resize', cols: 120, rows: 33 }));
    expect(received[0]?.frames.slice(1).map(String)).toEqual(['early\r', 'ls\r']);
    expect(Buffer.isBuffer(received[0]?.frames[2])).toBe(true);
    expect(t.statuses).toEqual(['Connected to sandbox sbx-1 (~. at the start of a line detaches).']);
    t.session.detach();
    expect(await t.ended).toEqual({ exitCode: 0, message: 'Detached.' });
  });

  it('asks for a new terminal when the sandbox goes (4404) and sends its size again; 1000 ends it', async () => {
    received.length = 0;
    let grants = 0;
    const t = start(async () => ({ attachUrl: url, token: `jwt-${++grants}`, sandboxId: null }));
    await eventually(
      () => attached !== undefined && received.length === 1 && received[0]?.frames.length === 1,
      5_000,
      'attached',
    );
    attached?.close(4404, 'the sandbox is gone');
    await eventually(() => received.length === 2 && received[1]?.frames.length === 1, 5_000, 'reattached');
    expect(received[1]?.auth).toEqual({ type: 'auth', token: 'jwt-2' });
    expect(received[1]?.frames[0]).toBe(JSON.stringify({ type: 'resize', cols: 120, rows: 33 }));
    expect(t.statuses).toContain('Reconnecting: the sandbox was replaced or stopped; asking for a new terminal…');
    attached?.close(1000, 'bye');
    expect(await t.ended).toEqual({ exitCode: 0, message: 'The terminal ended.' });
  });

  it('tries a refused token twice more with fresh ones, then ends with the reason; an API refusal ends at once', async () => {
    received.length = 0;
    scripts.push({ close: 4401 }, { close: 4401 }, { close: 4401 });
    let grants = 0;
    const refused = start(async () => ({ attachUrl: url, token: `jwt-${++grants}`, sandboxId: null }));
    const end = await refused.ended;
    expect(grants).toBe(3);
    expect(end.exitCode).toBe(1);
    expect(end.message).toMatch(/^Closed: the terminal refused the token \(4401/);

    const denied = start(
      async () => Promise.reject(new Error('no such dashboard')),
      () => 4,
    );
    expect(await denied.ended).toEqual({ exitCode: 4, message: 'Could not open a terminal: no such dashboard' });
  });
});
