import { z } from 'zod';

/** The WebSocket subprotocol a terminal client offers and the sandbox selects (`api/sandbox.openapi.yaml`). */
export const terminalProtocol = 'baton.terminal.v1';

/**
 * Close codes of the terminal protocol (private range 4000–4999, plus the standard 1001 and 1013).
 * A client asks Baton for a new attach URL and token after `tokenExpired`, `sandboxGone`,
 * `tryAgain` and `goingAway`; the others mean a retry with the same token cannot help.
 */
export const closeCodes = {
  /** The plane or sandbox is shutting down. */
  goingAway: 1001,
  /** Baton's keys could not be fetched: nothing is known about the token; retry later. */
  tryAgain: 1013,
  /** Not the protocol: no `baton.terminal.v1`, a first message other than `auth`, an unknown control message. */
  protocol: 4400,
  /** No token, or one not signed by Baton's keys (malformed, forged, wrong algorithm, missing claims). */
  badToken: 4401,
  /** A valid token for another sandbox (audience), or for a user no terminal was opened for here. */
  wrongSandbox: 4403,
  /** The sandbox is unknown, stopped, replaced or destroyed (also sent to open terminals when it goes). */
  sandboxGone: 4404,
  /** No `auth` message within five seconds of the upgrade. */
  authTimeout: 4408,
  /** The token has expired (`exp`, five seconds of tolerance). */
  tokenExpired: 4419,
} as const;

const clientMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auth'), token: z.string().min(1).max(8192) }),
  z.object({
    type: z.literal('resize'),
    cols: z.number().int().min(1).max(1000),
    rows: z.number().int().min(1).max(1000),
  }),
]);

/** A client's control message (a text frame), or undefined when it is not one. */
export type ClientMessage = z.infer<typeof clientMessage>;

/** Parses a text frame from the client; undefined for anything that is not a known control message. */
export function parseClientMessage(text: string): ClientMessage | undefined {
  try {
    const result = clientMessage.safeParse(JSON.parse(text));
    return result.success ? result.data : undefined;
  } catch {
    return undefined;
  }
}
