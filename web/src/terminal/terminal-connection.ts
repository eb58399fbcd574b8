/**
 * The browser's side of the terminal protocol `baton.terminal.v1` (api/sandbox.openapi.yaml,
 * openTerminal): ask Baton for an attach URL and a token, attach, present the token in the first
 * frame (never in the URL), then terminal bytes as binary frames and resizes as text. When the
 * sandbox goes (replaced, stopped), the token expires or the connection drops, it asks Baton again
 * and reattaches, with backoff. It knows nothing of React or xterm.
 */

/** The subprotocol the sandbox selects. */
export const terminalProtocol = 'baton.terminal.v1';

/** What Baton answered to `POST /v1/dashboards/{id}/terminals` (the part used here). */
export interface TerminalGrant {
  readonly attachUrl: string;
  readonly token: string;
  readonly sandboxId: string | null;
}

/** Where the connection is, for people: shown in the panel's live region. */
export type TerminalPhase = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** The phase and what to say about it. */
export interface TerminalStatus {
  readonly phase: TerminalPhase;
  readonly message: string;
}

/** What a connection needs from its page. */
export interface TerminalConnectionOptions {
  /** Asks Baton for a terminal; throws with a message people can read (status 4xx: not worth retrying). */
  readonly grant: () => Promise<TerminalGrant>;
  /** Whether a failed `grant` may be retried (Baton or the network was away, the workspace was at its limit). */
  readonly retryable: (error: unknown) => boolean;
  readonly onStatus: (status: TerminalStatus) => void;
  readonly onOutput: (bytes: Uint8Array) => void;
  /** The current terminal size, sent after attaching. */
  readonly size: () => { cols: number; rows: number };
  /** For tests: a shorter first backoff. */
  readonly firstBackoffMs?: number;
}

// Close codes after which Baton is asked again (see the contract's table).
const askAgain: Readonly<Record<number, string>> = {
  1001: 'the sandbox is shutting down',
  1006: 'the connection was lost',
  1011: 'the sandbox failed',
  1013: 'the sandbox could not check the token yet',
  4404: 'the sandbox was replaced or stopped',
  4408: 'the terminal did not answer in time',
  4000: 'the terminal did not answer in time',
  4419: 'the token expired',
};
// A new token rarely fixes these (see the retries in onclose).
const refused: Readonly<Record<number, string>> = {
  4400: 'the terminal does not speak this protocol',
  4401: 'the terminal refused the token',
  4403: 'the token is for another sandbox',
};
const maxBackoffMs = 8_000;
// From the socket's creation to the sandbox's "ready" (the sandbox itself allows 5 s for the token).
const attachTimeoutMs = 15_000;
// Attempts in a row that never reached "ready" before the panel gives up and says why.
const maxFailures = 6;

/** One terminal attachment that survives sandbox replacement; `close()` ends it for good. */
export class TerminalConnection {
  readonly #options: TerminalConnectionOptions;
  #socket: WebSocket | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #refusals = 0;
  #closed = false;
  #ready = false;

  constructor(options: TerminalConnectionOptions) {
    this.#options = options;
  }

  /** Starts attaching. */
  start(): void {
    this.#options.onStatus({ phase: 'connecting', message: 'Connecting…' });
    void this.#attach();
  }

  /** Sends typed input (as UTF-8 bytes in a binary frame); dropped while not attached. */
  send(data: string): void {
    if (this.#ready && this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(new TextEncoder().encode(data));
  }

  /** Tells the sandbox the terminal's new size. */
  resize(cols: number, rows: number): void {
    if (this.#ready && this.#socket?.readyState === WebSocket.OPEN)
      this.#socket.send(JSON.stringify({ type: 'resize', cols, rows }));
  }

  /** Closes for good (the panel's close button, leaving the page). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000, 'closed by the user');
    this.#socket = undefined;
    this.#options.onStatus({ phase: 'closed', message: 'Closed.' });
  }

  /** After it gave up or was closed (a page restored from the back/forward cache): start again. */
  retry(): void {
    this.#closed = false;
    clearTimeout(this.#timer);
    this.#socket?.close(1000, 'starting again');
    this.#socket = undefined;
    this.#failures = 0;
    this.#refusals = 0;
    this.start();
  }

  async #attach(): Promise<void> {
    let grant: TerminalGrant;
    try {
      grant = await this.#options.grant();
    } catch (error) {
      if (this.#closed) return;
      const message = error instanceof Error ? error.message : String(error);
      if (!this.#options.retryable(error)) return this.#giveUp(`Could not open a terminal: ${message}`);
      return this.#later(`Could not open a terminal (${message})`);
    }
    if (this.#closed) return;
    let socket: WebSocket;
    try {
      socket = new WebSocket(grant.attachUrl, [terminalProtocol]);
    } catch (error) {
      // A URL the browser refuses (or the page's CSP blocks) will not work on a retry either.
      return this.#giveUp(
        `Could not reach the terminal at ${grant.attachUrl}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    this.#socket = socket;
    this.#ready = false;
    socket.binaryType = 'arraybuffer';
    // A socket the page's CSP blocks may never say so on the socket: the policy event does.
    const origin = new URL(grant.attachUrl).origin.replace(/^http/, 'ws');
    const blocked = (event: SecurityPolicyViolationEvent) => {
      if (
        this.#socket !== socket ||
        !event.effectiveDirective.startsWith('connect-src') ||
        !event.blockedURI.startsWith(origin)
      )
        return;
      this.#socket = undefined;
      socket.close();
      this.#giveUp(
        `Closed: this console may not connect to ${origin} (its Content-Security-Policy); the server's BATON_TERMINAL_ORIGINS must list it.`,
      );
    };
    document.addEventListener('securitypolicyviolation', blocked);
    // Nor does every failure to attach end in a close event soon: a sandbox that never says "ready" is a failed attempt.
    const attachTimer = setTimeout(() => {
      if (this.#socket === socket && !this.#ready) socket.close(4000, 'not ready in time');
    }, attachTimeoutMs);
    const settle = () => {
      clearTimeout(attachTimer);
      document.removeEventListener('securitypolicyviolation', blocked);
    };
    socket.onopen = () => socket.send(JSON.stringify({ type: 'auth', token: grant.token }));
    socket.onmessage = (event: MessageEvent) => {
      if (event.data instanceof ArrayBuffer) return this.#options.onOutput(new Uint8Array(event.data));
      const message = parse(event.data);
      if (message?.type !== 'ready') return;
      settle();
      this.#ready = true;
      this.#failures = 0;
      this.#refusals = 0;
      const { cols, rows } = this.#options.size();
      socket.send(JSON.stringify({ type: 'resize', cols, rows }));
      this.#options.onStatus({
        phase: 'connected',
        message: `Connected to sandbox ${typeof message.sandboxId === 'string' ? message.sandboxId : (grant.sandboxId ?? '')}.`,
      });
    };
    socket.onclose = (event: CloseEvent) => {
      settle();
      if (this.#socket !== socket || this.#closed) return;
      this.#socket = undefined;
      const wasReady = this.#ready;
      this.#ready = false;
      if (event.code === 1000) return this.#giveUp('The terminal ended.');
      const refusal = refused[event.code];
      if (refusal !== undefined) {
        // Twice with a fresh token (a key made a moment ago may not have reached the sandbox's copy of
        // Baton's keys yet: it refetches at most every few seconds); a third refusal is final.
        if (++this.#refusals > 2) return this.#giveUp(`Closed: ${refusal} (${event.code}).`);
        return this.#later(`${capitalize(refusal)} (${event.code})`, wasReady);
      }
      this.#later(`${capitalize(askAgain[event.code] ?? `the connection closed (${event.code})`)}`, wasReady);
    };
  }

  /** Asks Baton again after a backoff (none after a working terminal was cut: the user is waiting). */
  #later(why: string, wasReady = false): void {
    if (this.#closed) return;
    this.#failures = wasReady ? 1 : this.#failures + 1;
    if (this.#failures > maxFailures) return this.#giveUp(`Closed: ${why}; gave up after ${maxFailures} attempts.`);
    const first = this.#options.firstBackoffMs ?? 500;
    const delay = wasReady
      ? 0
      : Math.min(maxBackoffMs, first * 2 ** (this.#failures - 1)) * (0.75 + Math.random() * 0.5);
    this.#options.onStatus({
      phase: 'reconnecting',
      message: `Reconnecting: ${why.charAt(0).toLowerCase()}${why.slice(1)}; asking for a new terminal${this.#failures > 1 ? ` (attempt ${this.#failures})` : ''}…`,
    });
    this.#timer = setTimeout(() => void this.#attach(), delay);
  }

  #giveUp(message: string): void {
    this.#socket = undefined;
    this.#options.onStatus({ phase: 'closed', message });
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

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
