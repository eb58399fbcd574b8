/**
 * The rules of the terminal protocol `baton.terminal.v1` (api/sandbox.openapi.yaml, openTerminal) that the
 * console (web/src/terminal/terminal-connection.ts) and the CLI (cli/terminal/terminal-session.ts) share,
 * on the Web-standard WebSocket (a browser's, or Node's global one): ask Baton for an attach URL and a
 * token, attach offering the subprotocol, the token in the first frame (never in the URL), terminal bytes
 * as binary frames, the window size as a text frame after "ready". When the sandbox goes (4404), the token
 * expired (4419) or the connection dropped, it asks Baton again and reattaches, with backoff; a refusal a
 * new token cannot fix ends it. What people are told, and in which words, is each side's.
 */

/** The subprotocol the sandbox selects. */
export const terminalProtocol = 'baton.terminal.v1';

/** What Baton answered to `POST /v1/dashboards/{id}/terminals` (the part used here). */
export interface TerminalGrant {
  readonly attachUrl: string;
  readonly token: string;
  readonly sandboxId: string | null;
}

/**
 * Why an attachment ended for good; `message` is the wording both sides use unless they say otherwise:
 * - `ended`: the terminal closed normally (1000);
 * - `grant-refused`: Baton refused the terminal (`retryable` said no), with its error;
 * - `unreachable`: the attach URL could not even be opened (a URL the runtime refuses will not work later);
 * - `refused`: the sandbox refused three fresh tokens in a row (`why` describes `code`; `reason` is its own);
 * - `gave-up`: `attempts` attempts in a row never reached "ready" (`why` is the last one's);
 * - `abandoned`: the side dropped the socket itself (`abandon`: the console's CSP blocked it).
 */
export type TerminalAttachEnd =
  | { readonly kind: 'ended'; readonly message: string }
  | { readonly kind: 'grant-refused'; readonly message: string; readonly error: unknown }
  | { readonly kind: 'unreachable'; readonly message: string }
  | {
      readonly kind: 'refused';
      readonly message: string;
      readonly why: string;
      readonly code: number;
      readonly reason: string;
    }
  | { readonly kind: 'gave-up'; readonly message: string; readonly why: string; readonly attempts: number }
  | { readonly kind: 'abandoned'; readonly message: string };

/** What an attachment needs from its side. */
export interface TerminalAttachOptions {
  /** Asks Baton for a terminal (again after every loss); throws with a message people can read. */
  readonly grant: () => Promise<TerminalGrant>;
  /** Whether a failed `grant` may be retried (Baton or the network away, the workspace at its limit). */
  readonly retryable: (error: unknown) => boolean;
  /** The terminal's size now, sent after every "ready". */
  readonly size: () => { cols: number; rows: number };
  /** Terminal bytes from the sandbox. */
  readonly onOutput: (bytes: Uint8Array) => void;
  /** The sandbox said "ready" (its id, else the grant's, else empty); input can be sent from now on. */
  readonly onReady: (sandboxId: string) => void;
  /** The attachment was lost or not made: Baton is asked again soon. `why` starts in lower case. */
  readonly onRetry: (why: string, attempt: number) => void;
  /** It ended for good (not after `stop`). */
  readonly onEnd: (end: TerminalAttachEnd) => void;
  /**
   * Called with each new socket before it opens, for what only one side watches (the console: its CSP);
   * what it returns is called once the attempt settles ("ready" or closed).
   */
  readonly watch?: (socket: WebSocket, grant: TerminalGrant) => () => void;
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
// A new token rarely fixes these: tried twice more (a key Baton made a moment ago may not have reached
// the sandbox's copy of its keys: it refetches at most every few seconds), then final.
const refused: Readonly<Record<number, string>> = {
  4400: 'the terminal does not speak this protocol',
  4401: 'the terminal refused the token',
  4403: 'the token is for another sandbox',
};
const maxBackoffMs = 8_000;
// From the socket's creation to the sandbox's "ready" (the sandbox itself allows 5 s for the token).
const attachTimeoutMs = 15_000;
// Attempts in a row that never reached "ready" before it gives up and says why.
const maxFailures = 6;
// Frames are at most 64 KiB; input is sent in smaller pieces.
const maxFrameBytes = 16 * 1024;

/** The status line both sides show while asking Baton again. */
export function reconnectingMessage(why: string, attempt: number): string {
  return `Reconnecting: ${why}; asking for a new terminal${attempt > 1 ? ` (attempt ${attempt})` : ''}…`;
}

/** One terminal attachment that survives sandbox replacement, until it ends or is stopped. */
export class TerminalAttachment {
  readonly #options: TerminalAttachOptions;
  #socket: WebSocket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #refusals = 0;
  #ready = false;
  #stopped = true;
  // Each start is a generation: a grant still in flight from an earlier one is dropped.
  #generation = 0;

  constructor(options: TerminalAttachOptions) {
    this.#options = options;
  }

  /** Starts attaching (again after it ended or was stopped, with the attempts counted afresh). */
  start(): void {
    this.#stopped = false;
    this.#failures = 0;
    this.#refusals = 0;
    void this.#attach(++this.#generation);
  }

  /** Sends input as binary frames; false (nothing sent) while not attached. */
  send(bytes: Uint8Array): boolean {
    const socket = this.#socket;
    if (!this.#ready || socket?.readyState !== WebSocket.OPEN) return false;
    for (let at = 0; at < bytes.length; at += maxFrameBytes) socket.send(bytes.slice(at, at + maxFrameBytes));
    return true;
  }

  /** Tells the sandbox the terminal's size (dropped while not attached: it is sent after "ready"). */
  resize(size: { cols: number; rows: number }): void {
    if (this.#ready && this.#socket?.readyState === WebSocket.OPEN)
      this.#socket.send(JSON.stringify({ type: 'resize', cols: size.cols, rows: size.rows }));
  }

  /** Stops for good (until `start`): closes the socket normally with `reason`; `onEnd` is not called. */
  stop(reason: string): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const socket = this.#socket;
    this.#socket = undefined;
    this.#ready = false;
    if (socket !== undefined && socket.readyState !== WebSocket.CLOSED) socket.close(1000, reason);
  }

  /** Drops `socket` if it is the current one (a side's `watch` saw it fail) and ends with `message`. */
  abandon(socket: WebSocket, message: string): void {
    if (this.#socket !== socket || this.#stopped) return;
    this.#socket = undefined;
    socket.close();
    this.#end({ kind: 'abandoned', message });
  }

  #end(end: TerminalAttachEnd): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#socket = undefined;
    this.#ready = false;
    this.#options.onEnd(end);
  }

  async #attach(generation: number): Promise<void> {
    const current = () => generation === this.#generation && !this.#stopped;
    let grant: TerminalGrant;
    try {
      grant = await this.#options.grant();
    } catch (error) {
      if (!current()) return;
      const message = error instanceof Error ? error.message : String(error);
      if (!this.#options.retryable(error))
        return this.#end({ kind: 'grant-refused', message: `Could not open a terminal: ${message}`, error });
      return this.#later(`could not open a terminal (${message})`);
    }
    if (!current()) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(grant.attachUrl, [terminalProtocol]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return this.#end({
        kind: 'unreachable',
        message: `Could not reach the terminal at ${grant.attachUrl}: ${message}`,
      });
    }
    this.#socket = socket;
    this.#ready = false;
    socket.binaryType = 'arraybuffer';
    const unwatch = this.#options.watch?.(socket, grant);
    // Not every failure to attach ends in a close event soon: a sandbox that never says "ready" is a
    // failed attempt, whether or not its socket closes.
    const attachTimer = setTimeout(() => {
      if (this.#socket === socket && !this.#ready) socket.close(4000, 'not ready in time');
    }, attachTimeoutMs);
    let settled = false;
    const settle = () => {
      clearTimeout(attachTimer);
      if (!settled) unwatch?.();
      settled = true;
    };
    socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'auth', token: grant.token })));
    socket.addEventListener('message', (event: MessageEvent) => {
      if (this.#socket !== socket) return;
      if (event.data instanceof ArrayBuffer) return this.#options.onOutput(new Uint8Array(event.data));
      const message = parse(event.data);
      if (message?.type !== 'ready') return;
      settle();
      this.#ready = true;
      this.#failures = 0;
      this.#refusals = 0;
      const { cols, rows } = this.#options.size();
      socket.send(JSON.stringify({ type: 'resize', cols, rows }));
      this.#options.onReady(typeof message.sandboxId === 'string' ? message.sandboxId : (grant.sandboxId ?? ''));
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      settle();
      if (this.#socket !== socket || this.#stopped) return;
      this.#socket = undefined;
      const wasReady = this.#ready;
      this.#ready = false;
      if (event.code === 1000) return this.#end({ kind: 'ended', message: 'The terminal ended.' });
      const refusal = refused[event.code];
      if (refusal !== undefined) {
        if (++this.#refusals > 2) {
          const message = `Closed: ${refusal} (${event.code}).`;
          return this.#end({ kind: 'refused', message, why: refusal, code: event.code, reason: event.reason });
        }
        return this.#later(`${refusal} (${event.code})`, wasReady);
      }
      this.#later(askAgain[event.code] ?? `the connection closed (${event.code})`, wasReady);
    });
    // An error is always followed by a close event, which decides.
    socket.addEventListener('error', () => undefined);
  }

  /** Asks Baton again after a backoff (none right after a working terminal was cut: someone is waiting). */
  #later(why: string, wasReady = false): void {
    if (this.#stopped) return;
    this.#failures = wasReady ? 1 : this.#failures + 1;
    if (this.#failures > maxFailures) {
      const message = `Closed: ${why}; gave up after ${maxFailures} attempts.`;
      return this.#end({ kind: 'gave-up', message, why, attempts: maxFailures });
    }
    const first = this.#options.firstBackoffMs ?? 500;
    const delay = wasReady
      ? 0
      : Math.min(maxBackoffMs, first * 2 ** (this.#failures - 1)) * (0.75 + Math.random() * 0.5);
    this.#options.onRetry(why, this.#failures);
    const generation = this.#generation;
    this.#timer = setTimeout(() => void this.#attach(generation), delay);
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
