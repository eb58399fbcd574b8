/**
 * `npm run bench:realtime`: update fan-out latency with many clients on one dashboard, and memory per
 * open document, for Baton (auth, policy, durable update log on Postgres) against bare Hocuspocus (no
 * auth, no persistence) run the same way in the same script. Each server runs in its own process;
 * clients run here. Prints a table and writes bench/results/realtime.json. Not a test: it asserts nothing.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { percentile, round, writeResults } from './support/common.ts';

const clientsCount = Number(process.env.BENCH_CLIENTS ?? 50);
const idleDocs = Number(process.env.BENCH_IDLE_DOCS ?? 500);
const updates = Number(process.env.BENCH_UPDATES ?? 200);
const spacingMs = 20;
const socketsForIdle = 10;

interface Server {
  readonly url: string;
  readonly token: string;
  readonly dashboards: string[];
  mem(): Promise<{ heapUsed: number; rss: number }>;
  stop(): Promise<void>;
}

async function startServer(mode: 'baton' | 'bare'): Promise<Server> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [
      '--expose-gc',
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      'bench/support/realtime-server.ts',
      mode,
      String(idleDocs + 1),
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse((await lines.next()).value ?? 'null') as unknown;
  const ready = (await next()) as { url: string; token: string; dashboards: string[] };
  return {
    ...ready,
    mem: async () => {
      child.stdin.write('mem\n');
      return (await next()) as { heapUsed: number; rss: number };
    },
    stop: async () => {
      child.stdin.write('stop\n');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

function connect(
  socket: HocuspocusProviderWebsocket,
  name: string,
  token: string,
): { provider: HocuspocusProvider; doc: Y.Doc } {
  const doc = new Y.Doc();
  const provider = new HocuspocusProvider({ websocketProvider: socket, name, document: doc, token });
  provider.attach();
  return { provider, doc };
}

const socketTo = (url: string) =>
  new HocuspocusProviderWebsocket({
    url: `${url.replace(/^http/, 'ws')}/v1/realtime`,
    WebSocketPolyfill: WebSocket,
    delay: 100,
    minDelay: 50,
  });

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function measure(mode: 'baton' | 'bare') {
  const server = await startServer(mode);
  const [hot = '', ...idle] = server.dashboards;
  // 50 clients on one dashboard, one socket each.
  const sockets: HocuspocusProviderWebsocket[] = [];
  const clients = Array.from({ length: clientsCount }, () => {
    const socket = socketTo(server.url);
    sockets.push(socket);
    return connect(socket, hot, server.token);
  });
  await until(() => clients.every((c) => c.provider.isSynced), 60_000, 'clients synced');
  const samples: number[] = [];
  for (const receiver of clients.slice(1)) {
    receiver.doc.getMap('bench').observe(() => {
      const sent = receiver.doc.getMap('bench').get('sentAt');
      if (typeof sent === 'number') samples.push(performance.now() - sent);
    });
  }
  const writer = clients[0];
  if (writer === undefined) throw new Error('no clients');
  // Warm-up, then the measured updates.
  for (let i = 0; i < 20; i++) {
    writer.doc.getMap('warm').set('i', i);
    await new Promise((resolve) => setTimeout(resolve, spacingMs));
  }
  for (let i = 0; i < updates; i++) {
    writer.doc.getMap('bench').set('sentAt', performance.now());
    await new Promise((resolve) => setTimeout(resolve, spacingMs));
  }
  await until(() => samples.length >= updates * (clientsCount - 1), 30_000, 'all updates received');
  const sorted = [...samples].sort((a, b) => a - b);

  // Memory per open document: the server process before and after 500 idle dashboards are open.
  const before = await server.mem();
  const idleSockets = Array.from({ length: socketsForIdle }, () => socketTo(server.url));
  sockets.push(...idleSockets);
  const idleClients = idle.map((name, i) =>
    connect(idleSockets[i % socketsForIdle] as HocuspocusProviderWebsocket, name, server.token),
  );
  await until(() => idleClients.every((c) => c.provider.isSynced), 120_000, 'idle documents open');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await server.mem();

  for (const c of [...clients, ...idleClients]) c.provider.destroy();
  for (const s of sockets) s.destroy();
  await server.stop();
  return {
    fanoutP50Ms: round(percentile(sorted, 50)),
    fanoutP99Ms: round(percentile(sorted, 99)),
    fanoutMeanMs: round(sorted.reduce((a, b) => a + b, 0) / sorted.length),
    samples: sorted.length,
    memoryPerDocKiB: round((after.heapUsed - before.heapUsed) / idle.length / 1024),
    rssPerDocKiB: round((after.rss - before.rss) / idle.length / 1024),
  };
}

// Alternate baseline and ours (each in a fresh server process) so neither always runs on a cold
// client process; report the mean over the rounds.
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const runs: { bare: Array<Awaited<ReturnType<typeof measure>>>; baton: Array<Awaited<ReturnType<typeof measure>>> } = {
  bare: [],
  baton: [],
};
for (let r = 0; r < rounds; r++) {
  for (const mode of r % 2 === 0 ? (['bare', 'baton'] as const) : (['baton', 'bare'] as const))
    runs[mode].push(await measure(mode));
}
const mean = (list: Array<Awaited<ReturnType<typeof measure>>>) => {
  const keys = Object.keys(list[0] ?? {}) as Array<keyof Awaited<ReturnType<typeof measure>>>;
  return Object.fromEntries(keys.map((k) => [k, round(list.reduce((a, m) => a + m[k], 0) / list.length)])) as Awaited<
    ReturnType<typeof measure>
  >;
};
const bare = mean(runs.bare);
const ours = mean(runs.baton);
const ratios = {
  fanoutP50: round(ours.fanoutP50Ms / bare.fanoutP50Ms),
  fanoutP99: round(ours.fanoutP99Ms / bare.fanoutP99Ms),
  memoryPerDoc: round(ours.memoryPerDocKiB / bare.memoryPerDocKiB),
};
writeResults('realtime', {
  workload: { clients: clientsCount, idleDocuments: idleDocs, updates, spacingMs, rounds },
  ours,
  baselines: { 'bare-hocuspocus': bare },
  ratios,
});
console.log(
  `Realtime: ${clientsCount} clients on one dashboard, ${updates} updates; then ` +
    `${idleDocs} idle dashboards open; mean of ${rounds} alternating rounds.\n`,
);
console.log('| | p50 fan-out (ms) | p99 fan-out (ms) | heap per open document (KiB) |');
console.log('| --- | ---: | ---: | ---: |');
console.log(
  `| bare Hocuspocus (no auth, no persistence) | ${bare.fanoutP50Ms} | ${bare.fanoutP99Ms} | ${bare.memoryPerDocKiB} |`,
);
console.log(
  `| Baton (auth, policy, durable log) | ${ours.fanoutP50Ms} | ${ours.fanoutP99Ms} | ${ours.memoryPerDocKiB} |`,
);
console.log(`| ratio (Baton / bare) | ${ratios.fanoutP50} | ${ratios.fanoutP99} | ${ratios.memoryPerDoc} |`);
console.log(`\np99 fan-out target (at most 1.25 × bare): ${ratios.fanoutP99 <= 1.25 ? 'met' : 'NOT met'}`);
