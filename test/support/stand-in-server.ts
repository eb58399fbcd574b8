import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A stand-in's HTTP server, listening on loopback. */
export interface StandInServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Drops open connections (hung requests included) and stops listening. */
  close(): Promise<void>;
}

/**
 * Serves a stand-in's `handle` on a free loopback port. A handler that throws (a bug in the
 * stand-in, never an answer it means) gets a 500 with `{ [errorField]: message }`, the field the
 * imitated API names its errors with.
 */
export async function serveStandIn(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
  errorField: string,
): Promise<StandInServer> {
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent)
        response
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ [errorField]: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
