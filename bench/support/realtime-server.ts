/**
 * One realtime server for the realtime benchmark, in its own process so its memory can be measured
 * alone: `baton` (the real service: auth, policy, durable log on Postgres) or `bare` (Hocuspocus with
 * no auth and no persistence, behind the same kind of `ws` server). Prints one JSON line
 * `{ url, token, dashboards }` when ready; then answers `mem` on stdin with `{ heapUsed, rss }` after a GC.
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { Hocuspocus } from '@hocuspocus/server';
import { WebSocketServer } from 'ws';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { freePort } from '../../src/adapters/postgres/embedded-postgres.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { startNode } from '../../src/main/node.ts';

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
    socket.on('message', (data: Buffer) => client.handleMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    socket.on('close', (code, reason) => client.handleClose({ code, reason: reason.toString() }));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  const dashboards = Array.from({ length: documents }, (_, i) => `doc-${i}`);
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, token: '', dashboards, close: async () => void http.close() };
}

async function baton(): Promise<{ url: string; token: string; dashboards: string[]; close(): Promise<void> }> {
  mkdirSync('.data', { recursive: true, mode: 0o777 });
  const config = resolveConfig({
    ...(process.env.DATABASE_URL === undefined ? {} : { DATABASE_URL: process.env.DATABASE_URL }),
    BATON_ENV: 'test',
    BATON_DATA_DIR: '.data/bench',
    PORT: String(await freePort()),
    BATON_DEV_IDP: 'false',
    LOG_LEVEL: 'error',
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '1000000',
  });
  const node = await startNode(config, createLogger({ ...config.log, format: 'json' }));
  const made = await bootstrapToken(node.app, { email: `bench-${Date.now()}@example.com`, workspaceName: `Bench ${Date.now()}` });
  const dashboards: string[] = [];
  for (let i = 0; i < documents; i++) dashboards.push((await createDashboard(node.app, sessionPrincipal(made.user.id), made.workspace?.id ?? '', { name: `Bench ${i}` }, 'bench')).id);
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
