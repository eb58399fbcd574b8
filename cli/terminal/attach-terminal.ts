import { exitCodes } from '../exit-codes.ts';
import { ApiError, createApi, path, type Api } from '../http.ts';
import { EscapeDetector } from './escape-detector.ts';
import { TerminalSession, type TerminalGrant } from './terminal-session.ts';

/** The input side: `process.stdin` (raw mode on a TTY) or any readable (piped bytes, tests). */
export interface TerminalInput {
  readonly isTTY?: boolean;
  setRawMode?(raw: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** The output side: `process.stdout` (its size and resize events when a TTY). */
export interface TerminalOutput {
  write(bytes: Uint8Array | string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
  readonly rows?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

/** How to attach. */
export interface AttachOptions {
  readonly url: string;
  readonly token: string;
  readonly dashboardId: string;
  readonly stdin: TerminalInput;
  readonly stdout: TerminalOutput;
  /** The size to report when stdout is not a terminal (COLUMNS and LINES; else 80x24). */
  readonly fallbackSize?: { readonly cols?: number; readonly rows?: number };
  /** Where status lines go (connected, reconnecting, why it ended). */
  readonly stderr: { write(text: string): unknown };
  /** Detaches (a signal): resolves with `exitCode` then. */
  readonly signal?: AbortSignal;
  readonly api?: Api;
  /** For tests: a shorter first backoff. */
  readonly firstBackoffMs?: number;
}

/** Exit status for a signal-ended session (128 + the signal's number, as shells report it). */
const signalExits: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * `baton terminal <dashboard>`: attaches this terminal to the dashboard's sandbox terminal
 * (`POST /v1/dashboards/{id}/terminals`, then the `baton.terminal.v1` protocol). On a TTY stdin is
 * put in raw mode (every key goes to the sandbox, Ctrl-C included) and restored however the session
 * ends; the window size (stdout's; piped, COLUMNS and LINES) is sent at attach, on every resize
 * (SIGWINCH) and again after a reconnect.
 * `~.` at the start of a line detaches. Piped stdin is sent as it is; its end sends nothing (the
 * session lasts until the terminal ends, `~.` or a signal). Resolves with the exit status: 0 when
 * detached or the terminal ended, else the reason is on stderr and the status says what failed.
 */
export async function attachTerminal(options: AttachOptions): Promise<number> {
  const api = options.api ?? createApi(options.url, options.token);
  const { stdin, stdout, stderr } = options;
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  // In raw mode the terminal does not turn \n into \r\n any more: status lines carry their own.
  const say = (line: string) => stderr.write(raw ? `\r\n${line}\r\n` : `${line}\n`);
  const size = () => ({
    cols: clamp(stdout.isTTY === true ? stdout.columns : options.fallbackSize?.cols, 80),
    rows: clamp(stdout.isTTY === true ? stdout.rows : options.fallbackSize?.rows, 24),
  });
  const grant = async (): Promise<TerminalGrant> => {
    const answer = await api.post<{ attachUrl: string; token: string; session?: { sandboxId?: string | null } }>(
      path('/v1/dashboards/{id}/terminals', { id: options.dashboardId }),
    );
    return { attachUrl: answer.attachUrl, token: answer.token, sandboxId: answer.session?.sandboxId ?? null };
  };
  const session = new TerminalSession({
    grant,
    // The workspace at its sandbox limit (429) or Baton away is worth waiting for; a refusal is not.
    finalGrantError: (error) =>
      error instanceof ApiError && error.status < 500 && error.status !== 429 ? error.exitCode : undefined,
    onOutput: (bytes) => stdout.write(bytes),
    onStatus: say,
    size,
    ...(options.firstBackoffMs === undefined ? {} : { firstBackoffMs: options.firstBackoffMs }),
  });
  const escape = new EscapeDetector();
  const onData = (chunk: Buffer | string) => {
    const { forward, detach } = escape.feed(
      typeof chunk === 'string'
        ? new TextEncoder().encode(chunk)
        : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length),
    );
    session.send(forward);
    if (detach) session.detach();
  };
  const onResize = () => session.resize();
  let signalled: string | undefined;
  const onAbort = () => {
    signalled = typeof options.signal?.reason === 'string' ? options.signal.reason : 'SIGINT';
    session.detach();
  };
  const restore = () => {
    if (raw) stdin.setRawMode?.(false);
  };
  // However the process ends (an uncaught error included), the person's terminal is left cooked.
  process.once('exit', restore);
  try {
    const ended = session.start();
    if (raw) stdin.setRawMode?.(true);
    stdin.on('data', onData);
    stdin.resume();
    stdout.on?.('resize', onResize);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted === true) onAbort();
    const end = await ended;
    say(end.message);
    if (signalled !== undefined) return signalExits[signalled] ?? exitCodes.interrupted;
    return end.exitCode;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stdout.off?.('resize', onResize);
    stdin.off('data', onData);
    stdin.pause();
    restore();
    process.off('exit', restore);
  }
}

function clamp(value: number | undefined, fallback: number): number {
  return value === undefined || !Number.isFinite(value) || value < 1 ? fallback : Math.min(1000, Math.floor(value));
}
