import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';

/**
 * What the scripted sandbox does with the next attach: say ready, close with a code, or take the token
 * and say nothing (a sandbox that never gets ready).
 */
export type TerminalScript = { ready: true } | { close: number } | { silent: true };

/** One attach as the sandbox saw it: the first frame (the auth) and every frame after it. */
export interface ReceivedAttach {
  auth: unknown;
  frames: Array<string | Buffer>;
  /** The close code and reason the client sent, once it closed. */
  closed?: { code: number; reason: string };
}

/** A scripted sandbox terminal endpoint on loopback, speaking `baton.terminal.v1`. */
export interface ScriptedTerminalSandbox {
  /** The attach URL (a grant's `attachUrl`). */
  readonly url: string;
  /** What the next attaches do, in order; once empty, each says ready (then sends "banner"). */
  readonly scripts: TerminalScript[];
  /** Every attach, in order. */
  readonly received: ReceivedAttach[];
  /** The socket of the latest attach that said ready. */
  attached(): ServerSocket | undefined;
  close(): Promise<void>;
}

/**
 * Starts a ws server standing in for a sandbox's terminal (the contract: api/sandbox.openapi.yaml,
 * openTerminal): it selects the subprotocol, takes the first frame as the token, then says "ready" with
 * `sbx-<n>` (n counts attaches) and sends "banner" as terminal output, or closes as scripted.
 */
export async function startScriptedTerminalSandbox(): Promise<ScriptedTerminalSandbox> {
  const server = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    handleProtocols: (offered) => (offered.has('baton.terminal.v1') ? 'baton.terminal.v1' : false),
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sandboxes/sbx-1/terminal`;
  const scripts: TerminalScript[] = [];
  const received: ReceivedAttach[] = [];
  let attached: ServerSocket | undefined;
  server.on('connection', (socket) => {
    const log: ReceivedAttach = { auth: undefined, frames: [] };
    received.push(log);
    socket.on('close', (code, reason) => (log.closed = { code, reason: String(reason) }));
    socket.on('message', (data, isBinary) => {
      if (log.auth === undefined) {
        log.auth = JSON.parse(String(data));
        const script = scripts.shift() ?? { ready: true };
        if ('close' in script) return socket.close(script.close, 'scripted');
        if ('silent' in script) return;
        attached = socket;
        socket.send(JSON.stringify({ type: 'ready', sandboxId: `sbx-${received.length}` }));
        socket.send(Buffer.from('banner'), { binary: true });
        return;
      }
      log.frames.push(isBinary ? Buffer.from(data as Buffer) : String(data));
    });
  });
  return {
    url,
    scripts,
    received,
    attached: () => attached,
    close: async () => {
      for (const client of server.clients) client.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
