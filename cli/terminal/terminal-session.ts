/**
 * The CLI's side of the terminal protocol `baton.terminal.v1` (api/sandbox.openapi.yaml, openTerminal),
 * the same rules as the console's (web/src/terminal/terminal-connection.ts) on Node's WebSocket: ask
 * Baton for an attach URL and a token, attach offering the subprotocol, the token in the first frame
 * (never in the URL), terminal bytes as binary frames, the window size as a text frame after "ready"
 * and on every change. When the sandbox goes (4404), the token expired (4419) or the connection
 * dropped, it asks Baton again and reattaches, with backoff; a refusal a new token cannot fix ends it.
 */

/** The subprotocol the sandbox selects. */
export const terminalProtocol = 'baton.terminal.v1';

/** What Baton answered to `POST /v1/dashboards/{id}/terminals` (the part used here). */
export interface TerminalGrant {
  readonly attachUrl: string;
  readonly token: string;
  readonly sandboxId: string | null;
}

/** How the session ended: 0 detached or the terminal ended; anything else with the reason. */
export interface TerminalEnd {
  readonly exitCode: number;
  readonly message: string;
}

/** What a session needs from its caller. */
export interface TerminalSessionOptions {
  /** Asks Baton for a terminal (again after every loss). */
  readonly grant: () => Promise<TerminalGrant>;
  /** The exit code for a failed `grant`, or undefined when it may be retried (Baton away, the workspace at its limit). */
  readonly finalGrantError: (error: unknown) => number | undefined;
  readonly onOutput: (bytes: Uint8Array) => void;
  /** A line for the person (connected, reconnecting and why). */
  readonly onStatus: (message: string) => void;
  /** The terminal's size now. */
  readonly size: () => { cols: number; rows: number };
  /** For tests: a shorter first backoff. */
  readonly firstBackoffMs?: number;
}

// Close codes after which Baton is asked again (the contract's table); anything unknown too.
const askAgain: Readonly<Record<number, string>> = {
  1001: 'the sandbox is shutting down',
  1006: 'the connection was lost',
  1011: 'the sandbox failed',
  1013: 'the sandbox could not check the token yet',
  4000: 'the terminal did not answer in time',
  4404: 'the sandbox was replaced or stopped',
  4408: 'the terminal did not answer in time',
  4419: 'the token expired',
};
// A new token rarely fixes these: tried twice more (a key Baton made a moment ago may not have
// reached the sandbox's copy of its keys), then final.
const refused: Readonly<Record<number, string>> = {
  4400: 'the terminal does not speak this protocol',
  4401: 'the terminal refused the token',
  4403: 'the token is for another sandbox',
};
const maxBackoffMs = 8_000;
const attachTimeoutMs = 15_000;
const maxFailures = 6;
// Frames are at most 64 KiB; input is sent in smaller pieces.
const maxFrameBytes = 16 * 1024;
// Input typed (or piped) while not attached is kept for the next attachment, up to this much.
const maxPendingBytes = 64 * 1024;

/** One attachment that survives sandbox replacement; `start` resolves when it ends. */
export class TerminalSession {
  readonly #options: TerminalSessionOptions;
  #socket: WebSocket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #refusals = 0;
  #ready = false;
  #ended = false;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #resolve: (end: TerminalEnd) => void = () => undefined;

  constructor(options: TerminalSessionOptions) {
    this.#options = options;
  }

  /** Attaches; resolves once detached, ended or given up. */
  start(): Promise<TerminalEnd> {
    const ended = new Promise<TerminalEnd>((resolve) => (this.#resolve = resolve));
    void this.#attach();
    return ended;
  }

  /** Sends input; kept (up to 64 KiB) until attached. */
  send(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.#ended) return;
    const socket = this.#socket;
    if (this.#ready && socket?.readyState === WebSocket.OPEN) {
      for (let at = 0; at < bytes.length; at += maxFrameBytes) socket.send(bytes.slice(at, at + maxFrameBytes));
      return;
    }
    if (this.#pendingBytes + bytes.length > maxPendingBytes) return;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  /** Tells the sandbox the terminal's size changed. */
  resize(): void {
    if (this.#ready && this.#socket?.readyState === WebSocket.OPEN)
      this.#socket.send(JSON.stringify({ type: 'resize', ...this.#options.size() }));
  }

  /** Ends the session (`~.`, a signal): closes the socket normally. */
  detach(message = 'Detached.'): void {
    this.#end({ exitCode: 0, message });
  }

  #end(end: TerminalEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && socket.readyState !== WebSocket.CLOSED) socket.close(1000, 'detached');
    this.#resolve(end);
  }

  async #attach(): Promise<void> {
    let grant: TerminalGrant;
    try {
      grant = await this.#options.grant();
    } catch (error) {
      if (this.#ended) return;
      const message = error instanceof Error ? error.message : String(error);
      const exitCode = this.#options.finalGrantError(error);
      if (exitCode !== undefined) return this.#end({ exitCode, message: `Could not open a terminal: ${message}` });
      return this.#later(`could not open a terminal (${message})`);
    }
    if (this.#ended) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(grant.attachUrl, [terminalProtocol]);
    } catch (error) {
      return this.#end({
        exitCode: 1,
        message: `Could not reach the terminal at ${grant.attachUrl}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    this.#socket = socket;
    this.#ready = false;
    socket.binaryType = 'arraybuffer';
    // A sandbox that never says "ready" is a failed attempt, whether or not its socket closes.
    const attachTimer = setTimeout(() => {
      if (this.#socket === socket && !this.#ready) socket.close(4000, 'not ready in time');
    }, attachTimeoutMs);
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', token: grant.token })));
    socket.addEventListener('message', (event: MessageEvent) => {
      if (this.#socket !== socket) return;
      if (event.data instanceof ArrayBuffer) return this.#options.onOutput(new Uint8Array(event.data));
      const message = parse(event.data);
      if (message?.type !== 'ready') return;
      clearTimeout(attachTimer);
      this.#ready = true;
      this.#failures = 0;
      this.#refusals = 0;
      socket.send(JSON.stringify({ type: 'resize', ...this.#options.size() }));
      const sandboxId = typeof message.sandboxId === 'string' ? message.sandboxId : (grant.sandboxId ?? '');
      this.#options.onStatus(`Connected to sandbox ${sandboxId} (~. at the start of a line detaches).`);
      const pending = this.#pending;
      this.#pending = [];
      this.#pendingBytes = 0;
      for (const bytes of pending) this.send(bytes);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      clearTimeout(attachTimer);
      if (this.#socket !== socket || this.#ended) return;
      this.#socket = undefined;
      const wasReady = this.#ready;
      this.#ready = false;
      if (event.code === 1000) return this.#end({ exitCode: 0, message: 'The terminal ended.' });
      const refusal = refused[event.code];
      if (refusal !== undefined) {
        if (++this.#refusals > 2)
          return this.#end({
            exitCode: 1,
            message: `Closed: ${refusal} (${event.code}${event.reason === '' ? '' : `: ${event.reason}`}).`,
          });
        return this.#later(`${refusal} (${event.code})`, wasReady);
      }
      this.#later(askAgain[event.code] ?? `the connection closed (${event.code})`, wasReady);
    });
    // An error is always followed by a close event, which decides.
    socket.addEventListener('error', () => undefined);
  }

  /** Asks Baton again after a backoff (none right after a working terminal was cut: someone is waiting). */
  #later(why: string, wasReady = false): void {
    if (this.#ended) return;
    this.#failures = wasReady ? 1 : this.#failures + 1;
    if (this.#failures > maxFailures)
      return this.#end({ exitCode: 1, message: `Closed: ${why}; gave up after ${maxFailures} attempts.` });
    const first = this.#options.firstBackoffMs ?? 500;
    const delay = wasReady
      ? 0
      : Math.min(maxBackoffMs, first * 2 ** (this.#failures - 1)) * (0.75 + Math.random() * 0.5);
    this.#options.onStatus(
      `Reconnecting: ${why}; asking for a new terminal${this.#failures > 1 ? ` (attempt ${this.#failures})` : ''}…`,
    );
    this.#timer = setTimeout(() => void this.#attach(), delay);
  }
}

function parse(data: unknown): { type?: unknown; sandboxId?: unknown } | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const value: unknown = JSON.parse(data);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
