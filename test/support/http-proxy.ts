import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** One instance behind the proxy. */
export interface ProxyBackend {
  /** How routes name it, e.g. `a`. */
  readonly name: string;
  readonly port: number;
}

/** Where the proxy sent one request or WebSocket upgrade. */
export interface ProxyRoute {
  readonly kind: 'request' | 'upgrade';
  readonly backend: string;
  /** The `x-test-client` header of the request, when it had one (which client made it). */
  readonly client: string | undefined;
}

/** A small reverse proxy in front of several Baton instances: one public URL. */
export interface ReverseProxy {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** Every request and upgrade routed so far, oldest first. */
  routes(): readonly ProxyRoute[];
  /** Drops every open connection (WebSockets included) and stops listening. */
  close(): Promise<void>;
}

/** Headers that describe one connection, not the request: never forwarded (RFC 9110, 7.6.1). */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);
/** How long a backend that refused a connection is skipped before it is tried again. */
const downForMs = 1_000;

/**
 * Starts a reverse proxy on a free loopback port, as a self-hoster's nginx or Caddy would sit in
 * front of several instances: each request and each WebSocket upgrade goes to the next backend in
 * turn (a WebSocket then stays with its backend), with `X-Forwarded-For`/`-Proto`/`-Host`. A backend
 * that refuses the connection is skipped and the request tried on the next one (nothing reached it,
 * so that is safe even for a POST); a backend that fails after the request reached it gets the
 * client a 502, as the request may have been handled. A WebSocket whose backend goes away is closed,
 * so its client reconnects, through the proxy, to an instance that is up.
 */
export async function startReverseProxy(backends: readonly ProxyBackend[]): Promise<ReverseProxy> {
  const routes: ProxyRoute[] = [];
  const downUntil = new Map<string, number>();
  const tunnels = new Set<Socket>();
  // Requests and upgrades take turns apart, so WebSockets alternate over the backends whatever else is sent.
  const turns = { request: 0, upgrade: 0 };

  /** The backends to try for one request or upgrade, the next in turn first, those recently down last. */
  const order = (kind: ProxyRoute['kind']): ProxyBackend[] => {
    const start = turns[kind]++ % backends.length;
    const turn = [...backends.slice(start), ...backends.slice(0, start)];
    const now = Date.now();
    return [
      ...turn.filter((b) => (downUntil.get(b.name) ?? 0) <= now),
      ...turn.filter((b) => (downUntil.get(b.name) ?? 0) > now),
    ];
  };
  const refused = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  const forwardedHeaders = (incoming: IncomingMessage): Record<string, string> => ({
    'x-forwarded-for': [incoming.headers['x-forwarded-for'], incoming.socket.remoteAddress].filter(Boolean).join(', '),
    'x-forwarded-proto': 'http',
    'x-forwarded-host': incoming.headers.host ?? '',
  });
  const label = (headers: IncomingHttpHeaders) =>
    typeof headers['x-test-client'] === 'string' ? headers['x-test-client'] : undefined;

  async function forward(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    // Read whole (API bodies are small), so the request can go to another backend after a refusal.
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(incoming.headers))
      if (value !== undefined && !hopByHop.has(name)) headers[name] = value;
    Object.assign(headers, forwardedHeaders(incoming));
    if (body.length > 0) headers['content-length'] = String(body.length);
    for (const backend of order('request')) {
      const outcome = await new Promise<'sent' | 'refused'>((resolve) => {
        const upstream = httpRequest(
          { host: '127.0.0.1', port: backend.port, method: incoming.method, path: incoming.url, headers, agent: false },
          (answer) => {
            routes.push({ kind: 'request', backend: backend.name, client: label(incoming.headers) });
            const answerHeaders: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(answer.headers))
              if (value !== undefined && !hopByHop.has(name)) answerHeaders[name] = value;
            response.writeHead(answer.statusCode ?? 502, answerHeaders);
            answer.pipe(response);
            // The backend died mid-answer: the client must see a broken answer, not a short one.
            answer.on('error', () => response.destroy());
            answer.on('aborted', () => response.destroy());
            resolve('sent');
          },
        );
        upstream.on('error', (error) => {
          if (refused(error)) {
            downUntil.set(backend.name, Date.now() + downForMs);
            resolve('refused');
            return;
          }
          if (!response.headersSent)
            response
              .writeHead(502, { 'content-type': 'application/json' })
              .end(JSON.stringify({ error: 'bad_gateway', message: `backend ${backend.name}: ${error.message}` }));
          else response.destroy();
          resolve('sent');
        });
        upstream.end(body);
      });
      if (outcome === 'sent') return;
    }
    response
      .writeHead(502, { 'content-type': 'application/json' })
      .end(JSON.stringify({ error: 'bad_gateway', message: 'no backend is up' }));
  }

  /** Opens a tunnel for a WebSocket upgrade to the first backend that accepts a connection. */
  function tunnel(incoming: IncomingMessage, client: Socket, head: Buffer, candidates: ProxyBackend[]): void {
    const backend = candidates[0];
    if (backend === undefined) {
      client.end('HTTP/1.1 502 Bad Gateway\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const upstream = connect(backend.port, '127.0.0.1');
    let connected = false;
    upstream.on('error', (error) => {
      if (!connected && refused(error)) {
        downUntil.set(backend.name, Date.now() + downForMs);
        tunnel(incoming, client, head, candidates.slice(1));
        return;
      }
      client.destroy();
    });
    upstream.on('connect', () => {
      connected = true;
      // The client gave up while the backend was being reached.
      if (client.destroyed) {
        upstream.destroy();
        return;
      }
      routes.push({ kind: 'upgrade', backend: backend.name, client: label(incoming.headers) });
      tunnels.add(client).add(upstream);
      const lines = [`${incoming.method ?? 'GET'} ${incoming.url ?? '/'} HTTP/1.1`];
      // The raw headers keep the upgrade's own hop-by-hop headers (Connection, Upgrade), which it needs.
      for (let i = 0; i < incoming.rawHeaders.length; i += 2) {
        const name = incoming.rawHeaders[i] as string;
        if (!name.toLowerCase().startsWith('x-forwarded-')) lines.push(`${name}: ${incoming.rawHeaders[i + 1] ?? ''}`);
      }
      for (const [name, value] of Object.entries(forwardedHeaders(incoming))) lines.push(`${name}: ${value}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client).pipe(upstream);
      // Either side gone: the other goes too (a client whose instance died must see its socket close).
      const drop = () => {
        client.destroy();
        upstream.destroy();
        tunnels.delete(client);
        tunnels.delete(upstream);
      };
      upstream.on('close', drop);
      client.on('close', drop);
    });
  }

  const server = createServer((incoming, response) => {
    forward(incoming, response).catch(() => response.destroy());
  });
  server.on('upgrade', (incoming: IncomingMessage, client: Socket, head: Buffer) => {
    // A client's socket error closes it; its tunnel, if any, follows on 'close'.
    client.on('error', () => client.destroy());
    tunnel(incoming, client, head, order('upgrade'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    routes: () => routes,
    async close() {
      for (const socket of tunnels) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
