import { createServer } from 'node:net';

/**
 * Where `freePort` looks: below every common ephemeral range (Linux hands out 32768–60999 by
 * default; macOS, the BSDs and Windows 49152–65535). A port the kernel picked for a `listen(0)` is
 * the same kind of port it picks for the next outgoing connection or the next `listen(0)`, so one
 * found that way is often taken again before its caller binds it. Ports here are only ever taken on
 * purpose.
 */
const LOWEST = 20000;
const HIGHEST = 32767;
const ATTEMPTS = 64;

/**
 * A TCP port free right now (on loopback unless told otherwise), for a server that must be told
 * its port before it starts (Postgres, workerd, a callback URL registered first). Chosen at random
 * outside the kernel's ephemeral range, so only another caller choosing the same number can race
 * for it.
 */
export async function freePort(options: FreePortOptions = {}): Promise<number> {
  const { host = '127.0.0.1', random = Math.random } = options;
  for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
    const port = LOWEST + Math.floor(random() * (HIGHEST - LOWEST + 1));
    if ((await listenOnce(port, host)) !== undefined) return port;
  }
  // Everything tried is in use (a crowded machine): let the kernel choose, as a last resort.
  const port = await listenOnce(0, host);
  if (port === undefined) throw new Error(`no free TCP port on ${host}`);
  return port;
}

/** Options of `freePort`. */
export interface FreePortOptions {
  /** The address the port must be free on (default 127.0.0.1; `0.0.0.0` for every IPv4 address). */
  readonly host?: string;
  /** Where the candidates come from (default `Math.random`); for tests. */
  readonly random?: () => number;
}

/** Listens on `port` (0: any) and closes again; the port it had, or undefined when it was taken. */
function listenOnce(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EADDRINUSE' || error.code === 'EACCES' ? resolvePromise(undefined) : reject(error),
    );
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => resolvePromise(typeof address === 'object' && address !== null ? address.port : undefined));
    });
  });
}
