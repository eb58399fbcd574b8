import {
  reconnectingMessage,
  TerminalAttachment,
  type TerminalAttachEnd,
  type TerminalGrant,
} from '../../../client/terminal-attach.ts';

/**
 * The browser's side of the terminal protocol `baton.terminal.v1`: the rules shared with the CLI
 * (client/terminal-attach.ts), plus what only a page needs: its phases for the panel's live region, a
 * socket the page's Content-Security-Policy blocks, and starting again after giving up. It knows nothing
 * of React or xterm.
 */

export type { TerminalGrant } from '../../../client/terminal-attach.ts';

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

/** One terminal attachment that survives sandbox replacement; `close()` ends it for good. */
export class TerminalConnection {
  readonly #options: TerminalConnectionOptions;
  readonly #attachment: TerminalAttachment;
  #closed = false;

  constructor(options: TerminalConnectionOptions) {
    this.#options = options;
    const attachment: TerminalAttachment = new TerminalAttachment({
      grant: options.grant,
      retryable: options.retryable,
      size: options.size,
      onOutput: options.onOutput,
      onReady: (sandboxId) => options.onStatus({ phase: 'connected', message: `Connected to sandbox ${sandboxId}.` }),
      onRetry: (why, attempt) =>
        options.onStatus({ phase: 'reconnecting', message: reconnectingMessage(why, attempt) }),
      onEnd: (end) => options.onStatus({ phase: 'closed', message: messageOf(end) }),
      watch: (socket, grant) => watchPolicy(socket, grant, attachment),
      ...(options.firstBackoffMs === undefined ? {} : { firstBackoffMs: options.firstBackoffMs }),
    });
    this.#attachment = attachment;
  }

  /** Starts attaching. */
  start(): void {
    this.#options.onStatus({ phase: 'connecting', message: 'Connecting…' });
    this.#attachment.start();
  }

  /** Sends typed input (as UTF-8 bytes in a binary frame); dropped while not attached. */
  send(data: string): void {
    this.#attachment.send(new TextEncoder().encode(data));
  }

  /** Tells the sandbox the terminal's new size. */
  resize(cols: number, rows: number): void {
    this.#attachment.resize({ cols, rows });
  }

  /** Closes for good (the panel's close button, leaving the page). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#attachment.stop('closed by the user');
    this.#options.onStatus({ phase: 'closed', message: 'Closed.' });
  }

  /** After it gave up or was closed (a page restored from the back/forward cache): start again. */
  retry(): void {
    this.#closed = false;
    this.#attachment.stop('starting again');
    this.start();
  }
}

/** What the panel says when the attachment ended by itself. */
function messageOf(end: TerminalAttachEnd): string {
  // The panel's line starts the reason with a capital after "Closed:".
  if (end.kind === 'gave-up') return `Closed: ${capitalize(end.why)}; gave up after ${end.attempts} attempts.`;
  return end.message;
}

/**
 * A socket the page's CSP blocks may never say so on the socket: the policy event does. Returns what
 * stops watching.
 */
function watchPolicy(socket: WebSocket, grant: TerminalGrant, attachment: TerminalAttachment): () => void {
  const origin = new URL(grant.attachUrl).origin.replace(/^http/, 'ws');
  const blocked = (event: SecurityPolicyViolationEvent) => {
    if (!event.effectiveDirective.startsWith('connect-src') || !event.blockedURI.startsWith(origin)) return;
    attachment.abandon(
      socket,
      `Closed: this console may not connect to ${origin} (its Content-Security-Policy); ` +
        `the server's BATON_TERMINAL_ORIGINS must list it.`,
    );
  };
  document.addEventListener('securitypolicyviolation', blocked);
  return () => document.removeEventListener('securitypolicyviolation', blocked);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
