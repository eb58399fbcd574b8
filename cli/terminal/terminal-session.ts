import {
  reconnectingMessage,
  TerminalAttachment,
  type TerminalAttachEnd,
  type TerminalGrant,
} from '../../client/terminal-attach.ts';

/**
 * The CLI's side of the terminal protocol `baton.terminal.v1`: the rules shared with the console
 * (client/terminal-attach.ts) on Node's global WebSocket, plus what only a command line needs: input
 * typed (or piped) before attaching is kept for the attachment, status lines for stderr, and how the
 * session ended as an exit code.
 */

export type { TerminalGrant } from '../../client/terminal-attach.ts';

/** How the session ended: 0 detached or the terminal ended; anything else with the reason. */
export interface TerminalEnd {
  readonly exitCode: number;
  readonly message: string;
}

/** What a session needs from its caller. */
export interface TerminalSessionOptions {
  /** Asks Baton for a terminal (again after every loss). */
  readonly grant: () => Promise<TerminalGrant>;
  /**
   * The exit code for a failed `grant`, or undefined when it may be retried (Baton away, the workspace
   * at its limit).
   */
  readonly finalGrantError: (error: unknown) => number | undefined;
  readonly onOutput: (bytes: Uint8Array) => void;
  /** A line for the person (connected, reconnecting and why). */
  readonly onStatus: (message: string) => void;
  /** The terminal's size now. */
  readonly size: () => { cols: number; rows: number };
  /** For tests: a shorter first backoff. */
  readonly firstBackoffMs?: number;
}

// Input typed (or piped) while not attached is kept for the next attachment, up to this much.
const maxPendingBytes = 64 * 1024;

/** One attachment that survives sandbox replacement; `start` resolves when it ends. */
export class TerminalSession {
  readonly #options: TerminalSessionOptions;
  readonly #attachment: TerminalAttachment;
  #ended = false;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #resolve: (end: TerminalEnd) => void = () => undefined;

  constructor(options: TerminalSessionOptions) {
    this.#options = options;
    this.#attachment = new TerminalAttachment({
      grant: options.grant,
      retryable: (error) => options.finalGrantError(error) === undefined,
      size: options.size,
      onOutput: options.onOutput,
      onReady: (sandboxId) => {
        options.onStatus(`Connected to sandbox ${sandboxId} (~. at the start of a line detaches).`);
        const pending = this.#pending;
        this.#pending = [];
        this.#pendingBytes = 0;
        for (const bytes of pending) this.send(bytes);
      },
      onRetry: (why, attempt) => options.onStatus(reconnectingMessage(why, attempt)),
      onEnd: (end) => this.#end(endOf(end, options.finalGrantError)),
      ...(options.firstBackoffMs === undefined ? {} : { firstBackoffMs: options.firstBackoffMs }),
    });
  }

  /** Attaches; resolves once detached, ended or given up. */
  start(): Promise<TerminalEnd> {
    const ended = new Promise<TerminalEnd>((resolve) => (this.#resolve = resolve));
    this.#attachment.start();
    return ended;
  }

  /** Sends input; kept (up to 64 KiB) until attached. */
  send(bytes: Uint8Array): void {
    if (bytes.length === 0 || this.#ended) return;
    if (this.#attachment.send(bytes)) return;
    if (this.#pendingBytes + bytes.length > maxPendingBytes) return;
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
  }

  /** Tells the sandbox the terminal's size changed. */
  resize(): void {
    this.#attachment.resize(this.#options.size());
  }

  /** Ends the session (`~.`, a signal): closes the socket normally. */
  detach(message = 'Detached.'): void {
    if (this.#ended) return;
    this.#attachment.stop('detached');
    this.#end({ exitCode: 0, message });
  }

  #end(end: TerminalEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#resolve(end);
  }
}

/** The exit code and line for how the attachment ended (a refusal with the sandbox's own reason). */
function endOf(end: TerminalAttachEnd, finalGrantError: (error: unknown) => number | undefined): TerminalEnd {
  switch (end.kind) {
    case 'ended':
      return { exitCode: 0, message: end.message };
    case 'grant-refused':
      return { exitCode: finalGrantError(end.error) ?? 1, message: end.message };
    case 'refused':
      return {
        exitCode: 1,
        message: `Closed: ${end.why} (${end.code}${end.reason === '' ? '' : `: ${end.reason}`}).`,
      };
    default:
      return { exitCode: 1, message: end.message };
  }
}
