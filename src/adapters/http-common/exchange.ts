import { parseJsonText } from './json-text.ts';

/** One HTTP request to another service. */
export interface ExchangeRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The body as sent (JSON text, a multipart document, a form). */
  readonly body?: string;
  /** How long the answer (its body included) may take. */
  readonly timeoutMs: number;
  /** The caller's own abort: then its reason is thrown as it is, since nothing is wrong with the service. */
  readonly signal?: AbortSignal;
}

/** Whatever the service answered, its body read whole. */
export interface ExchangeAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** `text` as JSON, or undefined when empty or not JSON (an error page, a proxy's HTML). */
  readonly body: unknown;
}

/**
 * No answer came: the connection failed, or `timeoutMs` passed (`timedOut`). `cause` is what fetch
 * threw. Each adapter turns this into its own "not reachable now" error.
 */
export class NoAnswerError extends Error {
  readonly timedOut: boolean;

  constructor(timedOut: boolean, cause: unknown) {
    super(timedOut ? 'no answer in time' : `no answer: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'NoAnswerError';
    this.timedOut = timedOut;
  }
}

/**
 * Sends one request and reads the whole answer, under a timeout that covers the body too: the
 * transport every HTTP adapter here shares (sandboxes, Fly, GitHub, Google Drive). Statuses are the
 * caller's to judge; only "no answer" is an error here (`NoAnswerError`).
 */
export async function exchange(send: typeof fetch, request: ExchangeRequest): Promise<ExchangeAnswer> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  try {
    const response = await send(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, body: parseJsonText(text) };
  } catch (error) {
    if (request.signal?.aborted === true) throw request.signal.reason;
    throw new NoAnswerError(timeout.aborted, error);
  }
}
