/**
 * `npm run bench:idle`: what an open but idle live dashboard costs on Cloudflare (one Durable Object
 * per dashboard, in workerd) against Node (HocuspocusRealtime inside the Node server), on the same
 * Postgres. N dashboards each get one @hocuspocus/provider client; once all are synced they sit idle
 * for a window. Per runtime: server CPU net of an empty window (no connections), resident memory per
 * open dashboard, and WebSocket frames per connection and minute in each direction, counted on the
 * clients. Prints a table and Cloudflare's bill for one idle dashboard, and writes
 * bench/results/idle-dashboards.json. Not a test: it asserts nothing.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { round, writeResults } from './support/common.ts';
import {
  connectCounting,
  framesBetween,
  noFrames,
  type CountingClient,
  type FrameCounts,
} from './support/counting-client.ts';
import { cpuMs, rssBytes } from './support/proc-stats.ts';
import { startWorkerdBaton } from './support/workerd-baton.ts';

const dashboardsCount = Number(process.env.BENCH_IDLE_DASHBOARDS ?? 50);
const idleSeconds = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
// Clients connect in batches of 10, one batch every 4 s. Each object that loads a document keeps
// its pool's two Postgres connections for the pool's 10 s idle timeout, and Miniflare's Hyperdrive
// does not pool them as Cloudflare's does: 50 objects at once would exhaust Postgres's 100.
const connectBatch = 10;
const batchSpacingMs = 4000;

/**
 * Cloudflare's Durable Objects prices (Workers Paid plan), from
 * https://developers.cloudflare.com/durable-objects/platform/pricing/ : duration is billed for the
 * 128 MB an object is allocated (their examples count it as 0.128 GB), incoming WebSocket messages
 * as requests at 20 to 1; outgoing messages and protocol pings are free.
 */
const cloudflare = {
  source: 'https://developers.cloudflare.com/durable-objects/platform/pricing/',
  gbPerObject: 0.128,
  usdPerMillionGbS: 12.5,
  includedGbSPerMonth: 400_000,
  usdPerMillionRequests: 0.15,
  includedRequestsPerMonth: 1_000_000,
  incomingMessagesPerRequest: 20,
};

/** Dollars to a millionth: an hour's requests cost less than a cent. */
const usd = (n: number) => Math.round(n * 1e6) / 1e6;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** One runtime as the bench sees it: where clients connect, and the process that pays. */
interface Runtime {
  readonly label: string;
  readonly url: string;
  readonly pid: number;
}

/** The Node Baton in its own process (bench/support/idle-node-server.ts), with its dashboards. */
async function startNodeBaton(documents: number) {
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      'bench/support/idle-node-server.ts',
      String(documents),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const line = (await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()).value;
  if (line === undefined || child.pid === undefined) throw new Error('the Node Baton did not start');
  const ready = JSON.parse(line) as { url: string; databaseUrl: string; token: string; dashboards: string[] };
  return {
    ...ready,
    pid: child.pid,
    stop: async () => {
      child.stdin.write('stop\n');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** CPU each runtime uses with nobody connected (timers, queue polling, the runtime itself). */
async function emptyWindow(runtimes: readonly Runtime[]): Promise<{ seconds: number; cpuMs: number[]; rss: number[] }> {
  const startCpu = runtimes.map((r) => cpuMs(r.pid));
  const startAt = performance.now();
  await sleep(idleSeconds * 1000);
  const seconds = (performance.now() - startAt) / 1000;
  return {
    seconds,
    cpuMs: runtimes.map((r, i) => cpuMs(r.pid) - (startCpu[i] ?? 0)),
    rss: runtimes.map((r) => rssBytes(r.pid)),
  };
}

/** What one runtime did while `dashboards` were open and idle. */
interface IdleWindow {
  readonly seconds: number;
  readonly cpuMs: number;
  readonly rssBefore: number;
  /** Just after every dashboard synced (and 2 s to settle). */
  readonly rssAfter: number;
  /** At the end of the idle window, once what loading held for a while (pooled connections) let go. */
  readonly rssEnd: number;
  readonly frames: FrameCounts;
  readonly syncedAtEnd: number;
}

/** Opens one client per dashboard, waits until all are synced, then lets them sit for the window. */
async function idleWindow(
  runtime: Runtime,
  token: string,
  warmUp: string,
  dashboards: readonly string[],
): Promise<IdleWindow> {
  // One dashboard opened and closed first, so code loaded on first use is not counted per dashboard.
  const first = connectCounting(runtime.url, warmUp, token, noFrames());
  await until(first.synced, 60_000, `${runtime.label}: warm-up synced`);
  first.destroy();
  await sleep(1000);
  const rssBefore = rssBytes(runtime.pid);
  const counts = noFrames();
  const clients: CountingClient[] = [];
  for (let i = 0; i < dashboards.length; i += connectBatch) {
    const started = Date.now();
    const batch = dashboards.slice(i, i + connectBatch).map((id) => connectCounting(runtime.url, id, token, counts));
    clients.push(...batch);
    await until(() => batch.every((c) => c.synced()), 120_000, `${runtime.label}: dashboards synced`);
    if (i + connectBatch < dashboards.length) await sleep(Math.max(0, batchSpacingMs - (Date.now() - started)));
  }
  // The first awareness exchange and any write the load caused settle before the window opens.
  await sleep(2000);
  const rssAfter = rssBytes(runtime.pid);
  const startFrames = { ...counts };
  const startCpu = cpuMs(runtime.pid);
  const startAt = performance.now();
  await sleep(idleSeconds * 1000);
  const seconds = (performance.now() - startAt) / 1000;
  const used = cpuMs(runtime.pid) - startCpu;
  const frames = framesBetween(startFrames, counts);
  const rssEnd = rssBytes(runtime.pid);
  const syncedAtEnd = clients.filter((c) => c.synced()).length;
  for (const client of clients) client.destroy();
  return { seconds, cpuMs: used, rssBefore, rssAfter, rssEnd, frames, syncedAtEnd };
}

/** The per-dashboard figures of one runtime; CPU net of its empty window, scaled to the same length. */
function perDashboard(idle: IdleWindow, empty: { seconds: number; cpuMs: number; rss: number }) {
  const minutes = idle.seconds / 60;
  const emptyCpuMs = (empty.cpuMs * idle.seconds) / empty.seconds;
  return {
    cpuMsPerDashboardMinute: round((idle.cpuMs - emptyCpuMs) / dashboardsCount / minutes),
    rssKiBPerDashboard: round((idle.rssAfter - idle.rssBefore) / dashboardsCount / 1024),
    rssKiBPerDashboardAtEnd: round((idle.rssEnd - idle.rssBefore) / dashboardsCount / 1024),
    framesInPerConnectionMinute: round(idle.frames.received / dashboardsCount / minutes),
    framesOutPerConnectionMinute: round(idle.frames.sent / dashboardsCount / minutes),
    controlFramesPerConnectionMinute: round(idle.frames.control / dashboardsCount / minutes),
    reconnectsInWindow: idle.frames.opened,
    connectionsSyncedAtEnd: idle.syncedAtEnd,
    grossCpuMsPerMinute: round(idle.cpuMs / minutes),
    emptyCpuMsPerMinute: round(empty.cpuMs / (empty.seconds / 60)),
    emptyRssMiB: round(empty.rss / 2 ** 20),
    openRssMiB: round(idle.rssAfter / 2 ** 20),
  };
}

/** Cloudflare's bill for one dashboard kept open by one idle client, sending `messagesPerMinute`. */
function bill(messagesPerMinute: number, hours: number) {
  const gbS = cloudflare.gbPerObject * hours * 3600;
  const messages = messagesPerMinute * 60 * hours;
  // One request opens the socket; then every 20 incoming messages are billed as one request.
  const requests = 1 + messages / cloudflare.incomingMessagesPerRequest;
  return {
    hours,
    durationGbS: round(gbS),
    durationUsdBeyondIncluded: usd((gbS * cloudflare.usdPerMillionGbS) / 1e6),
    incomingMessages: Math.round(messages),
    billedRequests: round(requests),
    requestsUsdBeyondIncluded: usd((requests * cloudflare.usdPerMillionRequests) / 1e6),
  };
}

// Per runtime: one warm-up dashboard and N measured ones, none shared between runtimes.
const node = await startNodeBaton(2 * (dashboardsCount + 1));
const dir = await mkdtemp(join(tmpdir(), 'baton-bench-idle-'));
let workerd: Awaited<ReturnType<typeof startWorkerdBaton>> | undefined;
try {
  workerd = await startWorkerdBaton({ databaseUrl: node.databaseUrl, publicUrl: node.url, dir });
  const nodeRuntime: Runtime = { label: 'Node', url: node.url, pid: node.pid };
  const doRuntime: Runtime = { label: 'Durable Object', url: workerd.url, pid: workerd.pid };
  const [nodeWarmUp = '', ...nodeDashboards] = node.dashboards.slice(0, dashboardsCount + 1);
  const [doWarmUp = '', ...doDashboards] = node.dashboards.slice(dashboardsCount + 1);

  console.log(
    `Idle dashboards: ${dashboardsCount} dashboards, one client each, ` +
      `${idleSeconds} s idle; empty window first (both runtimes at once).`,
  );
  const empty = await emptyWindow([nodeRuntime, doRuntime]);
  const emptyOf = (i: number) => ({ seconds: empty.seconds, cpuMs: empty.cpuMs[i] ?? 0, rss: empty.rss[i] ?? 0 });
  const nodeIdle = await idleWindow(nodeRuntime, node.token, nodeWarmUp, nodeDashboards);
  const doIdle = await idleWindow(doRuntime, node.token, doWarmUp, doDashboards);
  const baseline = perDashboard(nodeIdle, emptyOf(0));
  const ours = perDashboard(doIdle, emptyOf(1));
  const ratio = (a: number, b: number) => (b === 0 ? null : round(a / b));
  const ratios = {
    cpuPerDashboardMinute: ratio(ours.cpuMsPerDashboardMinute, baseline.cpuMsPerDashboardMinute),
    rssPerDashboard: ratio(ours.rssKiBPerDashboard, baseline.rssKiBPerDashboard),
    rssPerDashboardAtEnd: ratio(ours.rssKiBPerDashboardAtEnd, baseline.rssKiBPerDashboardAtEnd),
    framesInPerConnectionMinute: ratio(ours.framesInPerConnectionMinute, baseline.framesInPerConnectionMinute),
    framesOutPerConnectionMinute: ratio(ours.framesOutPerConnectionMinute, baseline.framesOutPerConnectionMinute),
  };
  const billing = {
    prices: cloudflare,
    hour: bill(ours.framesOutPerConnectionMinute, 1),
    month: bill(ours.framesOutPerConnectionMinute, 24 * 30),
  };
  writeResults('idle-dashboards', {
    workload: {
      dashboards: dashboardsCount,
      clientsPerDashboard: 1,
      idleSeconds,
      emptyWindowSeconds: round(empty.seconds),
    },
    ours,
    baselines: { node: baseline },
    ratios,
    cloudflareBillingForOneIdleDashboard: billing,
  });

  const row = (label: string, a: number, b: number, r: number | null) =>
    console.log(`| ${label} | ${a} | ${b} | ${r ?? 'n/a'} |`);
  console.log('\n| per idle dashboard | Node | Durable Object | ratio DO/Node |');
  console.log('| --- | ---: | ---: | ---: |');
  row(
    'CPU ms per dashboard-minute (net of empty)',
    baseline.cpuMsPerDashboardMinute,
    ours.cpuMsPerDashboardMinute,
    ratios.cpuPerDashboardMinute,
  );
  row(
    'RSS KiB per dashboard (after syncing)',
    baseline.rssKiBPerDashboard,
    ours.rssKiBPerDashboard,
    ratios.rssPerDashboard,
  );
  row(
    'RSS KiB per dashboard (end of the idle window)',
    baseline.rssKiBPerDashboardAtEnd,
    ours.rssKiBPerDashboardAtEnd,
    ratios.rssPerDashboardAtEnd,
  );
  row(
    'frames in (server → client) per connection-minute',
    baseline.framesInPerConnectionMinute,
    ours.framesInPerConnectionMinute,
    ratios.framesInPerConnectionMinute,
  );
  row(
    'frames out (client → server) per connection-minute',
    baseline.framesOutPerConnectionMinute,
    ours.framesOutPerConnectionMinute,
    ratios.framesOutPerConnectionMinute,
  );
  console.log(
    `\nEmpty runtimes: Node ${baseline.emptyCpuMsPerMinute} CPU ms/min, ${baseline.emptyRssMiB}` +
      ` MiB; workerd ${ours.emptyCpuMsPerMinute} CPU ms/min, ${ours.emptyRssMiB} MiB.`,
  );
  console.log(
    `Reconnects during the window: Node ${baseline.reconnectsInWindow}, DO ${ours.reconnectsInWindow}; synced ` +
      `at the end: ${baseline.connectionsSyncedAtEnd} and ${ours.connectionsSyncedAtEnd} of ${dashboardsCount}.`,
  );
  for (const period of [billing.hour, billing.month]) {
    console.log(
      `Cloudflare, one dashboard open ${period.hours} h with one idle client: ${period.durationGbS} ` +
        `GB-s ($${period.durationUsdBeyondIncluded} beyond the included), ${period.incomingMessages} ` +
        `incoming messages = ${period.billedRequests} requests ($${period.requestsUsdBeyondIncluded}).`,
    );
  }
} finally {
  await workerd?.dispose();
  await node.stop();
  await rm(dir, { recursive: true, force: true });
}
