/**
 * `npm run bench:orchestrator`: 200 executions of 10 instant agent steps each, on the local execution
 * plane, reporting steps per second and step-to-step latency (p50, p99), against, on the same Postgres
 * and in the same script, DBOS Transact running a 10-step workflow whose steps start runs on the same
 * local execution plane (over its HTTP API, waiting for the completion callback), and a bare pg-boss
 * job chain. Baton and DBOS run in alternating rounds (BENCH_ROUNDS, default 5), each after a
 * checkpoint and a quiet second; the round with the median ratio is reported. Both engines' runs are
 * started in process (our use case, DBOS's startWorkflow). Prints a table; writes
 * bench/results/orchestrator.json.
 */
import { DBOS } from '@dbos-inc/dbos-sdk';
import pg from 'pg';
import { createLogger } from '../src/adapters/pino/logger.ts';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpSandboxClient } from '../src/adapters/sandbox-http/http-sandbox-client.ts';
import { HttpSandboxProvisioner } from '../src/adapters/sandbox-http/http-sandbox-provisioner.ts';
import type { SandboxHandle } from '../src/ports/sandboxes.ts';
import { PgBossJobQueue } from '../src/adapters/pgboss/pg-boss-job-queue.ts';
import { createDashboard } from '../src/app/dashboards/dashboards.ts';
import { startExecution } from '../src/app/orchestrator/executions.ts';
import { bootstrapToken } from '../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../src/domain/access/principal.ts';
import { percentile, round, startBenchBaton, startBenchPlane, writeResults } from './support/common.ts';

const executions = Number(process.env.BENCH_EXECUTIONS ?? 200);
const stepsPer = 10;

/** Gaps between consecutive step starts of each run: the time from one step's (instant) end to the next start. */
function gaps(starts: Map<string, number[]>): number[] {
  const out: number[] = [];
  for (const times of starts.values()) {
    const sorted = [...times].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) out.push((sorted[i] ?? 0) - (sorted[i - 1] ?? 0));
  }
  return out.sort((a, b) => a - b);
}

function summary(totalMs: number, starts: Map<string, number[]>, count = executions) {
  const g = gaps(starts);
  return {
    steps: count * stepsPer,
    seconds: round(totalMs / 1000),
    stepsPerSecond: round((count * stepsPer) / (totalMs / 1000)),
    stepToStepP50Ms: round(percentile(g, 50)),
    stepToStepP99Ms: round(percentile(g, 99)),
  };
}

// The sandboxes run in their own process, as they would on their own machines.
const plane = await startBenchPlane();
const node = await startBenchBaton({ BATON_SANDBOX_PROVIDER: 'http', BATON_SANDBOX_URL: plane.url });
const logger = createLogger({ level: 'error', format: 'json' });
const databaseUrl = node.databaseUrl;
/** Every run the local execution plane started (the ledger), with its start time. */
const planeLedger = async () =>
  (
    (await (await fetch(`${plane.url}/v1/ledger`)).json()) as {
      runs: Array<{ idempotencyKey: string; startedAt: string }>;
    }
  ).runs;

async function baton(count = executions) {
  const made = await bootstrapToken(node.app, {
    email: `bench-${Date.now()}@example.com`,
    workspaceName: `Bench ${Date.now()}`,
  });
  const workspaceId = made.workspace?.id ?? '';
  const dashboardId = (
    await createDashboard(node.app, sessionPrincipal(made.user.id), workspaceId, { name: 'Bench' }, 'bench')
  ).id;
  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${node.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string };
  };
  await call(`/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'instant', model: 'none' });
  const steps = Array.from({ length: stepsPer }, (_, i) => ({
    id: `s${i + 1}`,
    kind: 'agent',
    profile: 'instant',
    prompt: `step ${i + 1}`,
  }));
  const recipe = await call(`/v1/workspaces/${workspaceId}/recipes`, { recipe: { name: 'bench', steps } });
  // Executions that finished, heard from the engine itself (polling the database would load Baton's
  // process while DBOS's side just awaits its handles).
  const finished = new Set<string>();
  let wake: () => void = () => undefined;
  node.engine.onCommitted((execution, decided) => {
    if (decided.commands.some((c) => c.kind === 'finished')) {
      finished.add(execution.id);
      wake();
    }
  });
  const began = performance.now();
  const ids: string[] = [];
  // Started through the use case in this process, as DBOS's workflows are through startWorkflow:
  // the comparison is of the engines, not of HTTP (the API's overhead is the same for any engine).
  const principal = sessionPrincipal(made.user.id);
  const start = () => startExecution(node.app, node.engine, principal, recipe.id, { dashboardId, inputs: {} }, 'bench');
  for (let i = 0; i < count; i += 20)
    ids.push(...(await Promise.all(Array.from({ length: Math.min(20, count - i) }, start))).map((e) => e.id));
  while (ids.some((id) => !finished.has(id))) await new Promise<void>((resolve) => (wake = resolve));
  const totalMs = performance.now() - began;
  for (const id of ids) {
    const record = await node.app.executions.get(id);
    if (record?.state.status !== 'succeeded') throw new Error(`execution ${id} ended ${record?.state.status}`);
  }
  return { ids, totalMs };
}

/**
 * When each of these executions' steps started, from the plane's ledger. Read once per measurement,
 * after the runs: parsing the whole ledger is heavy, and doing it between runs in this process
 * would put its garbage collection into the latencies measured.
 */
async function startsOf(ids: readonly string[]): Promise<Map<string, number[]>> {
  const mine = new Set(ids);
  const starts = new Map<string, number[]>();
  for (const entry of await planeLedger()) {
    const execution = entry.idempotencyKey.split('/')[0] ?? '';
    if (mine.has(execution)) starts.set(execution, [...(starts.get(execution) ?? []), Date.parse(entry.startedAt)]);
  }
  return starts;
}

/**
 * DBOS set up once (its database, the callback receiver, the workflow, launch); returns a round
 * function that runs `executions` workflows, and a stop.
 */
async function dbosRunner(): Promise<{ round(): Promise<ReturnType<typeof summary>>; stop(): Promise<void> }> {
  const url = new URL(databaseUrl);
  url.pathname = '/baton_bench_dbos';
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query('drop database if exists baton_bench_dbos with (force)');
  await admin.query('create database baton_bench_dbos');
  await admin.end();
  let starts = new Map<string, number[]>();
  // The same local execution plane Baton's steps run on. Like a Baton execution, each workflow gets a
  // sandbox of its own (created by its first step, destroyed by its last); each agent step starts a
  // run there by key and waits for the run's (instant) completion callback.
  const waiting = new Map<string, () => void>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      // One event, or a batch (an instant run's start and end come together).
      const parsed = JSON.parse(body) as
        { type: string; runKey?: string } | { events: Array<{ type: string; runKey?: string }> };
      for (const event of 'events' in parsed ? parsed.events : [parsed])
        if (event.type === 'run.completed' && event.runKey !== undefined) waiting.get(event.runKey)?.();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`;
  const provisioner = new HttpSandboxProvisioner({ baseUrl: plane.url });
  const client = new HttpSandboxClient();
  const sandbox = async (handle: SandboxHandle, run: string, step: number) => {
    const key = `${run}/s${step}/1`;
    starts.set(run, [...(starts.get(run) ?? []), Date.now()]);
    const done = new Promise<void>((resolve) => waiting.set(key, resolve));
    await client.startRun(handle, {
      idempotencyKey: key,
      profile: { name: 'instant', model: 'none', tools: [] },
      prompt: `step ${step}`,
      inputs: {},
      timeoutMs: null,
    });
    await done;
    waiting.delete(key);
    return { summary: 'ok' };
  };
  const workflow = DBOS.registerWorkflow(
    async (run: string) => {
      const handle = await DBOS.runStep(
        () =>
          provisioner.create({
            sessionId: crypto.randomUUID(),
            epoch: 1,
            callbackUrl,
            callbackSecret: 'bench',
            heartbeatSeconds: 10,
            env: {},
          }),
        { name: 'sandbox' },
      );
      for (let i = 1; i <= stepsPer; i++) await DBOS.runStep(() => sandbox(handle, run, i), { name: `s${i}` });
      await DBOS.runStep(() => provisioner.destroy(handle.sandboxId), { name: 'release' });
      return run;
    },
    { name: 'benchWorkflow' },
  );
  DBOS.setConfig({ name: 'baton-bench', systemDatabaseUrl: url.toString() });
  await DBOS.launch();
  return {
    async round() {
      starts = new Map();
      const began = performance.now();
      const handles = [];
      const batch = `${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
      for (let i = 0; i < executions; i++) handles.push(await DBOS.startWorkflow(workflow)(`run-${batch}-${i}`));
      await Promise.all(handles.map((h) => h.getResult()));
      return summary(performance.now() - began, starts);
    },
    async stop() {
      await DBOS.shutdown();
      receiver.close();
    },
  };
}

async function pgBossChain() {
  const queue = new PgBossJobQueue({ connectionString: databaseUrl, logger, schema: 'bench_chain' });
  await queue.start();
  await queue.declareTopic('chain');
  const starts = new Map<string, number[]>();
  let done = 0;
  let finish: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  await queue.work<{ run: string; step: number }>(
    'chain',
    async ({ data }) => {
      starts.set(data.run, [...(starts.get(data.run) ?? []), performance.now()]);
      if (data.step < stepsPer) await queue.send('chain', { run: data.run, step: data.step + 1 });
      else if (++done === executions) finish();
    },
    { concurrency: 8 },
  );
  const began = performance.now();
  for (let i = 0; i < executions; i++) await queue.send('chain', { run: `run-${i}`, step: 1 });
  await finished;
  const totalMs = performance.now() - began;
  await queue.stop();
  return summary(totalMs, starts);
}

// Idle-machine latency: executions one at a time; the p99 over all their step gaps.
const idleRuns = 30;
const idleIds: string[] = [];
// A few executions first, not measured: the process and the database warm up (JIT, caches).
for (let i = 0; i < 5; i++) await baton(1);
for (let i = 0; i < idleRuns; i++) idleIds.push(...(await baton(1)).ids);
const idleGaps = gaps(await startsOf(idleIds));
const idle = {
  executions: idleRuns,
  stepToStepP50Ms: round(percentile(idleGaps, 50)),
  stepToStepP99Ms: round(percentile(idleGaps, 99)),
};
/**
 * Lets Baton's delayed backup dispatch jobs (due 5 s after each dispatch) drain, so
 * the next round gets an idle database.
 */
async function drainBackups(): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await new Promise((resolve) => setTimeout(resolve, 5_500));
  const drainUntil = Date.now() + 30_000;
  while (Date.now() < drainUntil) {
    const { rows } = await client.query<{ n: string }>(
      'select count(*) as n from pgboss.job where name = ' +
        "'orchestrator.dispatch' and state in ('created', 'retry', 'active')",
    );
    if (Number(rows[0]?.n ?? 0) === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await client.end();
}

/**
 * Each measured run starts from a checkpoint and a quiet second: otherwise one engine pays for the
 * dirty pages the other left (or for CREATE DATABASE's checkpoint, just before the first round).
 * Needs a superuser (the embedded Postgres is); elsewhere it only waits.
 */
async function settle(): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('checkpoint').catch(() => undefined);
  await client.end();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

// Then the full load, Baton and DBOS in alternating rounds: this machine's speed drifts from minute
// to minute, so each round's ratio compares runs made a moment apart; the median round is reported.
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const dbosSide = await dbosRunner();
const pairs: Array<{ ours: ReturnType<typeof summary>; dbos: ReturnType<typeof summary> }> = [];
for (let r = 0; r < rounds; r++) {
  await settle();
  const full = await baton();
  const oursRound = summary(full.totalMs, await startsOf(full.ids));
  await drainBackups();
  await settle();
  pairs.push({ ours: oursRound, dbos: await dbosSide.round() });
}
await dbosSide.stop();
const median = <T>(items: readonly T[], by: (t: T) => number): T =>
  [...items].sort((a, b) => by(a) - by(b))[Math.floor(items.length / 2)] as T;
const medianPair = median(pairs, (p) => p.ours.stepsPerSecond / p.dbos.stepsPerSecond);
const ours = medianPair.ours;
const dbosResult = medianPair.dbos;
const chain = await pgBossChain();
await node.close();
plane.child.kill('SIGTERM');

const ratios = {
  stepsPerSecondVsDbos: round(ours.stepsPerSecond / dbosResult.stepsPerSecond),
  stepsPerSecondVsDbosByRound: pairs.map((p) => round(p.ours.stepsPerSecond / p.dbos.stepsPerSecond)),
  stepToStepP99VsDbos: round(ours.stepToStepP99Ms / dbosResult.stepToStepP99Ms),
  stepsPerSecondVsPgBossChain: round(ours.stepsPerSecond / chain.stepsPerSecond),
};
writeResults('orchestrator', {
  workload: { executions, stepsPerExecution: stepsPer, rounds },
  ours,
  oursOneAtATime: idle,
  baselines: { 'dbos-transact': dbosResult, 'pg-boss-chain': chain },
  ratios,
});
console.log(
  `Orchestrator: ${executions} executions × ${stepsPer} instant agent steps, same ` +
    `Postgres; Baton and DBOS in ${rounds} alternating rounds, the median round ` +
    `shown (ratios by round: ${ratios.stepsPerSecondVsDbosByRound.join(', ')}).\n`,
);
console.log('| | steps/s | step-to-step p50 (ms) | step-to-step p99 (ms) |');
console.log('| --- | ---: | ---: | ---: |');
console.log(
  `| Baton (recipes, history, dashboard mirror, local execution plane) | ` +
    `${ours.stepsPerSecond} | ${ours.stepToStepP50Ms} | ${ours.stepToStepP99Ms} |`,
);
console.log(`| Baton, one execution at a time (idle server) | – | ${idle.stepToStepP50Ms} | ${idle.stepToStepP99Ms} |`);
console.log(
  `| DBOS Transact (10-step workflow) | ${dbosResult.stepsPerSecond}` +
    ` | ${dbosResult.stepToStepP50Ms} | ${dbosResult.stepToStepP99Ms} |`,
);
console.log(
  `| bare pg-boss job chain | ${chain.stepsPerSecond} | ${chain.stepToStepP50Ms} | ${chain.stepToStepP99Ms} |`,
);
console.log(
  `\nTargets: steps/s at least DBOS's (${ratios.stepsPerSecondVsDbos >= 1 ? 'met' : 'NOT met'}` +
    `: ${ratios.stepsPerSecondVsDbos}×); p99 step-to-step under 50 ms on an idle ` +
    `machine (${idle.stepToStepP99Ms < 50 ? 'met' : 'NOT met'}: ${idle.stepToStepP99Ms}` +
    ` ms one at a time; ${ours.stepToStepP99Ms} ms under the full load).`,
);
process.exit(0);
