import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../ports/logger.ts';
import { createRequestHandler } from './routes.ts';
import { SandboxPlane } from './sandbox-plane.ts';
import { createTerminalEndpoint } from './terminal-endpoint.ts';

/** How to start the local plane. */
export interface LocalSandboxPlaneOptions {
  /** TCP port; 0 picks a free one (tests). Default 0. */
  readonly port?: number;
  /** Address to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** Where the run ledger is persisted (`ledger.jsonl`). */
  readonly dataDir: string;
  /** When set, every request must present `Authorization: Bearer <token>`. */
  readonly token?: string;
  readonly logger: Logger;
  /** Backoff between attempts of a run's callback: first, doubled up to max (default 200 ms, 5 s). Tests shorten it. */
  readonly callbackBackoff?: { readonly firstMs: number; readonly maxMs: number };
}

/** A running local plane. */
export interface LocalSandboxPlane {
  /** Its base URL, e.g. `http://127.0.0.1:8790`. */
  readonly url: string;
  /** Destroys every sandbox (no callback goes out after this resolves) and stops listening. */
  close(): Promise<void>;
}

/**
 * Starts the local stand-in execution plane: `api/sandbox.openapi.yaml` served on `node:http`, with
 * sandboxes that play scripted runs (see `ScriptedRun`) and report through signed callbacks. It lets
 * Baton be developed and tested end to end without a real execution plane.
 */
export async function startLocalSandboxPlane(options: LocalSandboxPlaneOptions): Promise<LocalSandboxPlane> {
  const logger = options.logger.child({ component: 'local-sandbox' });
  const plane = new SandboxPlane({
    dataDir: options.dataDir,
    logger,
    ...(options.callbackBackoff === undefined ? {} : { callbackBackoff: options.callbackBackoff }),
  });
  const host = options.host ?? '127.0.0.1';
  let url = '';
  const server = createServer(createRequestHandler({ plane, token: options.token, fallbackUrl: () => url, logger }));
  // Terminals are WebSockets the browser opens: no plane token (it cannot send one), Baton's JWT instead.
  const terminals = createTerminalEndpoint(plane, logger);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!terminals.upgrade(req, socket, head))
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });
  // Malformed HTTP from a client gets a 400 on its own socket; it must never reach the process.
  server.on('clientError', (error, socket) => {
    logger.debug({ err: error }, 'bad request from a client');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  // A wildcard bind is reachable on loopback; the wildcard itself is no address to give out.
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  url = `http://${shownHost}:${address.port}`;
  logger.info({ url, dataDir: options.dataDir, auth: options.token !== undefined }, 'local sandbox plane listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    close: () =>
      (closing ??= (async () => {
        terminals.close();
        await plane.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        logger.info({}, 'local sandbox plane stopped');
      })()),
  };
}
