/**
 * One realtime server for the realtime benchmark, in its own process so its memory can be measured
 * alone: `baton` (the real service: auth, policy, durable log on Postgres) or `bare` (Hocuspocus with
 * no auth and no persistence, behind the same kind of `ws` server). Prints one JSON line
 * `{ url, token, dashboards }` when ready; then answers `mem` on stdin with `{ heapUsed, rss }` after a GC.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { Hocuspocus } from '@hocuspocus/server';
import { WebSocketServer } from 'ws';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { startBenchBaton } from './common.ts';

const mode = process.argv[2];
const documents = Number(process.argv[3] ?? '501');

async function bare(): Promise<{ url: string; token: string; dashboards: string[]; close(): Promise<void> }> {
  const hocuspocus = new Hocuspocus({ quiet: true });
  const http = createServer();
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (socket, req) => {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const client = hocuspocus.handleConnection(socket, new Request(`http://localhost${req.url ?? '/'}`, { headers }));
    socket.on('message', (data: Buffer) =>
      client.handleMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
    );
    socket.on('close', (code, reason) => client.handleClose({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const dashboards = Array.from({ length: documents }, (_, i) => `doc-${i}`);
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    token: '',
    dashboards,
    close: async () => void http.close(),
  };
}

async function baton(): Promise<{ url: string; token: string; dashboards: string[]; close(): Promise<void> }> {
  const node = await startBenchBaton();
  const made = await bootstrapToken(node.app, {
    email: `bench-${Date.now()}@example.com`,
    workspaceName: `Bench ${Date.now()}`,
  });
  const dashboards: string[] = [];
  for (let i = 0; i < documents; i++)
    dashboards.push(
      (
        await createDashboard(
          node.app,
          sessionPrincipal(made.user.id),
          made.workspace?.id ?? '',
          { name: `Bench ${i}` },
          'bench',
        )
      ).id,
    );
  return { url: node.url, token: made.secret, dashboards, close: () => node.close() };
}

const server = mode === 'bare' ? await bare() : await baton();
process.stdout.write(`${JSON.stringify({ url: server.url, token: server.token, dashboards: server.dashboards })}\n`);
const gc = (globalThis as { gc?: () => void }).gc;
for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'mem') {
    for (let i = 0; i < 3; i++) gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    process.stdout.write(`${JSON.stringify({ heapUsed, rss })}\n`);
  } else if (line === 'stop') break;
}
await server.close();
process.exit(0);
