/** One request to an address that recipe or trigger data chose (a webhook step's URL). */
export interface OutboundRequest {
  readonly method: 'POST' | 'PUT' | 'GET';
  /** An http(s) URL. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** How long the whole exchange (connecting, sending, the answer's head and body) may take. */
  readonly timeoutMs: number;
}

/** What the receiver answered. The body is read only up to a small bound: receivers' answers are not data. */
export interface OutboundAnswer {
  readonly status: number;
  /** At most the first 4 KiB of the answer's body, as text (for error messages). */
  readonly excerpt: string;
}

/**
 * The one way out of Baton to an address data chose: every such request goes through the egress
 * policy (`src/domain/network/address-policy.ts`), which refuses loopback, private, link-local and
 * cloud-metadata addresses unless `BATON_EGRESS_ALLOW` lists them. Integration base URLs the
 * operator configured do not come through here.
 */
export interface Egress {
  /**
   * Sends `request`. Redirects are never followed (a 3xx is the answer: a receiver must not be able
   * to bounce the request into the private network). Rejects with `EgressRefusedError` when the
   * host, or an address it resolves to, is refused: where the runtime can, the check is made on
   * the very address the connection goes to, so a name that resolves differently the second time
   * (DNS rebinding) gets nowhere. Rejects with `EgressUnreachableError` when no answer came.
   */
  send(request: OutboundRequest): Promise<OutboundAnswer>;
}

/** No answer came: the connection failed, or the timeout passed. Trying again later may help. */
export class EgressUnreachableError extends Error {
  readonly timedOut: boolean;
  constructor(timedOut: boolean, cause: unknown) {
    super(timedOut ? 'no answer in time' : `no answer: ${cause instanceof Error ? cause.message : String(cause)}`, {
      cause,
    });
    this.name = 'EgressUnreachableError';
    this.timedOut = timedOut;
  }
}
