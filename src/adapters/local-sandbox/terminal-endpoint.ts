import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Logger } from '../../ports/logger.ts';
import type { SandboxPlane } from './sandbox-plane.ts';
import { closeCodes, parseClientMessage, terminalProtocol } from './terminal-protocol.ts';

/** How long a client has to send its `auth` message after the upgrade. */
export const authTimeoutMs = 5_000;
// Clock skew tolerated on `exp`/`iat`, like a real sandbox would allow.
const clockToleranceSeconds = 5;
// How often open terminals check that their sandbox still runs (stopped by Baton's 410, crashed, destroyed).
const livenessCheckMs = 500;
const maxFrameBytes = 64 * 1024;

/** Where the terminal path lives: `/v1/sandboxes/{id}/terminal`. */
const terminalPath = /^\/v1\/sandboxes\/([^/]+)\/terminal$/;

/** The stand-in terminal endpoint: attaches WebSockets, checks Baton's token, echoes. */
export interface TerminalEndpoint {
  /** Handles an HTTP upgrade; false when the path is not a terminal's (the caller answers 404). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Closes every open terminal (1001) and stops checking. */
  close(): void;
}

/**
 * The local plane's terminal (`api/sandbox.openapi.yaml`, "Terminal protocol"): the browser
 * attaches at `attachUrl`, offers the `baton.terminal.v1` subprotocol and sends
 * `{"type":"auth","token":…}` first; the token must be signed by a key of Baton's JWKS (fetched from
 * the Baton that created the sandbox: its callbackUrl's base + `/.well-known/jwks.json`), ES256,
 * audience `sandbox:<id>`, unexpired, and its subject a user Baton opened a terminal for here.
 * Then it runs NO shell: it shows a banner and echoes what is typed, so the round trip is visible.
 */
export function createTerminalEndpoint(plane: SandboxPlane, logger: Logger): TerminalEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes,
    handleProtocols: (offered) => (offered.has(terminalProtocol) ? terminalProtocol : false),
  });
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  const open = new Map<WebSocket, string>();
  const keysOf = (jwksUrl: string) => {
    let set = keySets.get(jwksUrl);
    // An unknown kid refetches (Baton's keys rotate), at most once a second: a new key is usable almost at once.
    if (set === undefined)
      keySets.set(
        jwksUrl,
        (set = createRemoteJWKSet(new URL(jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 1_000 })),
      );
    return set;
  };
  // A sandbox that stops while someone is attached: tell them it is gone, so they ask Baton anew.
  const checker = setInterval(() => {
    for (const [socket, sandboxId] of open)
      if (plane.get(sandboxId)?.status !== 'running') socket.close(closeCodes.sandboxGone, 'the sandbox is gone');
  }, livenessCheckMs);
  checker.unref();

  const attach = (socket: WebSocket, sandboxId: string) => {
    const log = logger.child({ sandboxId, component: 'terminal' });
    if (socket.protocol !== terminalProtocol)
      return socket.close(closeCodes.protocol, `offer the ${terminalProtocol} subprotocol`);
    const sandbox = plane.get(sandboxId);
    if (sandbox?.status !== 'running') return socket.close(closeCodes.sandboxGone, 'no live sandbox here');
    let state: 'auth' | 'verifying' | 'open' = 'auth';
    const timer = setTimeout(() => socket.close(closeCodes.authTimeout, 'no auth message in time'), authTimeoutMs);
    let size = { cols: 80, rows: 24 };
    let line = '';
    socket.on('close', () => {
      clearTimeout(timer);
      open.delete(socket);
    });
    socket.on('error', (error) => log.debug({ err: error }, 'terminal socket error'));
    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (state === 'verifying') return; // nothing but the auth message counts until it is checked
      if (state === 'auth') {
        const message = isBinary ? undefined : parseClientMessage(rawText(data));
        if (message?.type !== 'auth')
          return socket.close(closeCodes.protocol, 'the first message must be {"type":"auth","token":…}');
        state = 'verifying';
        clearTimeout(timer);
        verify(message.token, sandboxId, keysOf(jwksUrlOf(sandbox.callbackUrl))).then(
          (claims) => {
            const live = plane.get(sandboxId);
            if (live?.status !== 'running') return socket.close(closeCodes.sandboxGone, 'the sandbox is gone');
            if (typeof claims.sub !== 'string' || !live.terminalUsers.has(claims.sub))
              return socket.close(closeCodes.wrongSandbox, 'no terminal was opened here for this user');
            if (socket.readyState !== socket.OPEN) return;
            state = 'open';
            open.set(socket, sandboxId);
            log.info({ userId: claims.sub }, 'terminal attached');
            socket.send(JSON.stringify({ type: 'ready', sandboxId }));
            socket.send(
              Buffer.from(
                `Baton local stand-in terminal for sandbox ${sandboxId} (no ` +
                  `shell)\r\nWhat you type is echoed back; Enter shows the line.\r\n$ `,
              ),
              { binary: true },
            );
          },
          (error: unknown) => {
            const [code, reason] = refusal(error);
            log.info({ code, reason }, 'terminal refused');
            socket.close(code, reason);
          },
        );
        return;
      }
      if (!isBinary) {
        const message = parseClientMessage(rawText(data));
        if (message?.type !== 'resize')
          return socket.close(closeCodes.protocol, 'text frames carry control messages: resize');
        size = { cols: message.cols, rows: message.rows };
        return;
      }
      // The echo: each typed character back (as a terminal in echo mode would), the line on Enter.
      let out = '';
      for (const char of rawText(data)) {
        if (char === '\r') {
          out += `\r\necho (${size.cols}x${size.rows}): ${line}\r\n$ `;
          line = '';
        } else if (char === '\x7f') {
          if (line.length > 0) {
            line = line.slice(0, -1);
            out += '\b \b';
          }
        } else if (char >= ' ') {
          line += char;
          out += char;
        }
      }
      if (out !== '') socket.send(Buffer.from(out), { binary: true });
    });
  };

  return {
    upgrade(req, socket, head) {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const match = terminalPath.exec(path);
      if (match === null) return false;
      // Refusals after this point are close codes: a browser cannot read an HTTP status of a failed upgrade.
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws, decodeURIComponent(match[1] ?? '')));
      return true;
    },
    close() {
      clearInterval(checker);
      for (const socket of open.keys()) socket.close(1001, 'the plane is stopping');
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}

/**
 * Baton's JWKS, from where the sandbox was told to report: `<base>/v1/sandbox-events` → `<base>/.well-known/jwks.json`.
 */
export function jwksUrlOf(callbackUrl: string): string {
  const url = new URL(callbackUrl);
  const base = url.pathname.replace(/\/v1\/sandbox-events\/?$/, '').replace(/\/+$/, '');
  return `${url.origin}${base}/.well-known/jwks.json`;
}

async function verify(
  token: string,
  sandboxId: string,
  keys: ReturnType<typeof createRemoteJWKSet>,
): Promise<JWTPayload> {
  const { payload } = await jwtVerify(token, keys, {
    audience: `sandbox:${sandboxId}`,
    algorithms: ['ES256'],
    clockTolerance: clockToleranceSeconds,
    requiredClaims: ['exp', 'sub'],
  });
  return payload;
}

/** The close code and reason for a token that did not pass. */
function refusal(error: unknown): [number, string] {
  if (error instanceof errors.JWTExpired) return [closeCodes.tokenExpired, 'the token has expired'];
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'aud')
    return [closeCodes.wrongSandbox, 'the token is for another sandbox'];
  const refused = [
    errors.JWSInvalid,
    errors.JWTInvalid,
    errors.JWSSignatureVerificationFailed,
    errors.JWKSNoMatchingKey,
    errors.JWKSMultipleMatchingKeys,
    errors.JOSEAlgNotAllowed,
    errors.JOSENotSupported,
    errors.JWTClaimValidationFailed,
  ];
  if (refused.some((kind) => error instanceof kind))
    return [closeCodes.badToken, 'the token is not one Baton signed for this terminal'];
  // Anything else (Baton unreachable, a timeout, a JWKS that does not parse) says nothing about the token.
  return [closeCodes.tryAgain, "Baton's keys could not be fetched; try again"];
}

function rawText(data: RawData): string {
  return (Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer)).toString('utf8');
}
