import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createDocumentStore } from '../../src/adapters/postgres/document-store.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startReverseProxy, type ReverseProxy } from '../support/http-proxy.ts';
import {
  spawnCommand,
  startSandboxProcess,
  startServerProcess,
  waitForStatus,
  type Spawned,
} from '../support/processes.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * Two Baton processes on one Postgres and one Redis, behind one small reverse proxy (one public
 * URL, as a self-hoster runs replicas), with the stand-in execution plane as its own process.
 * Executions (each started under an idempotency key, sent to both instances at once), per-second
 * schedules and live dashboard clients spread over both; one instance is SIGKILLed mid-run and
 * stays down. The survivor finishes every execution, no key starts twice, no fire time fires
 * twice or is skipped, and the killed instance's clients reconnect through the proxy to the
 * survivor without losing an acknowledged edit (in the survivor's document, in Postgres, and
 * after the survivor is killed and restarted too).
 */
const redisServer = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

type Name = 'a' | 'b';
let database: TestDatabase;
let db: Database;
let dataDir: string;
let redis: Spawned;
let redisUrl: string;
let plane: Spawned & { url: string };
let proxy: ReverseProxy;
let token: string;
let workspaceId: string;
const dashboards: string[] = [];
const ports: Record<Name, number> = { a: 0, b: 0 };
const servers: Partial<Record<Name, Spawned>> = {};
const clients: RealtimeClient[] = [];

const work = `
name: work
steps:
  - { id: plan, kind: agent, profile: coder, prompt: plan, input: { duration: 700 }, timeout: 20s, retry: { \
maxAttempts: 6, backoff: { initial: 100ms, factor: 1, max: 100ms } } }
  - { id: build, kind: agent, profile: coder, prompt: build, input: { duration: 700, output: { built: true } }, \
timeout: 20s, retry: { maxAttempts: 6, backoff: { initial: 100ms, factor: 1, max: 100ms } } }
  - { id: tell, kind: notify, channel: dashboard, message: "built \${steps.build.output.built}" }
`;
const tick = (n: number) =>
  `name: tick-${n}\nsteps:\n  - { id: note, kind: notify, channel: dashboard, message: tick }\n`;

async function startInstance(name: Name): Promise<void> {
  servers[name] = await startServerProcess(database.url, ports[name], {
    BATON_PUBLIC_URL: proxy.url,
    REDIS_URL: redisUrl,
    BATON_TRUST_PROXY: 'loopback',
    BATON_DATA_DIR: join(dataDir, name),
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_PROVIDER: 'http',
    BATON_SANDBOX_URL: plane.url,
    BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
    BATON_REAPER_INTERVAL_SECONDS: '1',
    BATON_SANDBOX_MAX_PER_WORKSPACE: '100',
    // A sandbox the killed instance was creating stays "provisioning" until this runs out; then the
    // survivor's reaper fails it and the step gets a new one (the stand-in creates one in well under 1 s,
    // so 15 s is generous even on a loaded machine; the default 120 s outlasts the test's budget).
    BATON_SANDBOX_PROVISION_TIMEOUT_SECONDS: '15',
  });
}

async function kill(name: Name): Promise<void> {
  const server = servers[name];
  if (server === undefined || server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGKILL');
  await server.exited;
}

/**
 * The API through the proxy, as a client that retries: an answer lost with its instance (502) or
 * a 503 is sent again, with the same Idempotency-Key when it had one (only such POSTs are retried).
 */
async function api(
  method: string,
  path: string,
  body?: unknown,
  key?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const retryable = method === 'GET' || method === 'PATCH' || key !== undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const res = await fetch(`${proxy.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...(key === undefined ? {} : { 'idempotency-key': key }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(20_000),
      });
      const answer = { status: res.status, body: (await res.json()) as Record<string, unknown> };
      if (!retryable || (answer.status !== 502 && answer.status !== 503) || attempt >= 40) return answer;
    } catch (error) {
      if (!retryable || attempt >= 40) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/**
 * A person typing into a dashboard: appends numbered entries to their own list. Acknowledged
 * means the provider reported every change synced (its unsynced count back at zero): everything
 * written before that moment is acknowledged.
 */
function writer(name: string, client: RealtimeClient) {
  let written = 0;
  let acknowledged = 0;
  client.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    if (number === 0) acknowledged = written;
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    name,
    client,
    start() {
      timer = setInterval(() => client.doc.getArray<string>(`log-${name}`).push([`${name}-${written++}`]), 25);
    },
    stop: () => clearInterval(timer),
    acknowledged: () => Array.from({ length: acknowledged }, (_, i) => `${name}-${i}`),
    written: () => written,
  };
}

/** Every entry of the writers' lists in a document. */
const entriesOf = (doc: Y.Doc, names: readonly string[]) =>
  new Set(names.flatMap((n) => doc.getArray<string>(`log-${n}`).toArray()));

beforeAll(async () => {
  if (redisServer === undefined) return;
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'baton-multi-'));
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  const made = await bootstrapToken(ctx, { email: 'replicas@example.com', workspaceName: 'Replicas' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  for (const name of ['Board one', 'Board two'])
    dashboards.push((await createDashboard(ctx, sessionPrincipal(made.user.id), workspaceId, { name }, 'setup')).id);
  const redisPort = await freePort();
  redis = spawnCommand(
    redisServer,
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {},
  );
  redisUrl = `redis://127.0.0.1:${redisPort}`;
  await eventually(() => redis.output().includes('Ready to accept connections'), 20_000, 'redis-server ready');
  plane = await startSandboxProcess(await freePort(), join(dataDir, 'plane'));
  ports.a = await freePort();
  ports.b = await freePort();
  proxy = await startReverseProxy([
    { name: 'a', port: ports.a },
    { name: 'b', port: ports.b },
  ]);
  await Promise.all([startInstance('a'), startInstance('b')]);
});
afterAll(async () => {
  if (redisServer === undefined) return;
  for (const c of clients) c.destroy();
  await Promise.all([kill('a'), kill('b')]);
  await proxy?.close();
  for (const child of [plane, redis])
    if (child !== undefined && child.child.exitCode === null) child.child.kill('SIGKILL');
  await db?.destroy();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe.skipIf(redisServer === undefined)('two instances behind one proxy, one SIGKILLed mid-run', () => {
  it(
    'finishes every execution, starts no key twice, fires ' + 'each schedule time once, and loses no acknowledged edit',
    async () => {
      expect(
        (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
      ).toBe(201);
      const workId = (await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: work })).body.id as string;
      const dashboardId = dashboards[0] as string;

      // Executions under idempotency keys; every key is sent twice at once (the proxy sends the two
      // to different instances), and again after a lost answer.
      const answers = new Map<string, string[]>();
      const start = async (key: string) => {
        const both = await Promise.all(
          [0, 1].map(() => api('POST', `/v1/recipes/${workId}/executions`, { dashboardId }, key)),
        );
        for (const answer of both) expect(answer.status, JSON.stringify(answer.body)).toBe(201);
        answers.set(
          key,
          both.map((answer) => answer.body.id as string),
        );
      };
      let n = 0;
      await Promise.all(Array.from({ length: 8 }, () => start(`key-${n++}`)));
      let starting = true;
      const starter = (async () => {
        while (starting) {
          await start(`key-${n++}`);
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();

      // Two per-second schedules, each created through another instance, each with its own recipe.
      const schedules: Array<{ id: string; recipeId: string }> = [];
      for (const i of [1, 2]) {
        const recipeId = (await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: tick(i) })).body
          .id as string;
        const created = await api('POST', `/v1/workspaces/${workspaceId}/schedules`, {
          name: `tick ${i}`,
          recipeId,
          dashboardId,
          cron: '* * * * * *',
          overlap: 'allow',
          catchUp: { mode: 'all', limit: 100 },
        });
        expect(created.status).toBe(201);
        schedules.push({ id: created.body.id as string, recipeId });
      }

      // Six people on two dashboards; the proxy hands their WebSockets to a, b, a, b, …
      const writers: Array<ReturnType<typeof writer>> = [];
      for (let i = 0; i < 6; i++) {
        const client = connectClient(proxy.url, dashboards[Math.floor(i / 3)] as string, {
          token,
          reconnectForever: true,
          headers: { 'x-test-client': `c${i}` },
        });
        clients.push(client);
        await eventually(() => client.provider.isSynced, 20_000, `client c${i} synced`);
        writers.push(writer(`c${i}`, client));
      }
      const firstRoute = (client: string) =>
        proxy.routes().find((r) => r.kind === 'upgrade' && r.client === client)?.backend;
      const onA = writers.filter((w) => firstRoute(w.name) === 'a');
      expect(onA.length).toBeGreaterThan(0);
      expect(writers.filter((w) => firstRoute(w.name) === 'b').length).toBeGreaterThan(0);
      for (const w of writers) w.start();

      // Kill a while agent steps run and edits flow.
      await eventually(
        async () => {
          const running = await db
            .selectFrom('sandbox_runs')
            .select('run_key')
            .where('status', 'in', ['dispatched', 'running'])
            .execute();
          return running.length >= 3;
        },
        30_000,
        'agent steps running',
      );
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await kill('a');
      const killedAt = Date.now();
      const routesBeforeKill = proxy.routes().length;

      // The edits and the starts go on for a while with one instance.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      starting = false;
      await starter;
      for (const w of writers) w.stop();

      // The killed instance's clients came back through the proxy, to the survivor, and all synced.
      await eventually(
        () => writers.every((w) => w.client.provider.isSynced && w.client.provider.unsyncedChanges === 0),
        30_000,
        'every client synced again',
      );
      const after = proxy.routes().slice(routesBeforeKill);
      for (const w of onA)
        expect(
          after.some((r) => r.kind === 'upgrade' && r.client === w.name && r.backend === 'b'),
          `${w.name} reconnected to b`,
        ).toBe(true);
      expect(after.filter((r) => r.backend === 'a')).toEqual([]);

      // Every edit is acknowledged by now; each is durable in Postgres at once, and live everywhere.
      const board = (i: number) => writers.slice(i * 3, i * 3 + 3);
      for (const w of writers) expect(w.acknowledged().length, w.name).toBe(w.written());
      const store = createDocumentStore(db);
      for (const [i, id] of dashboards.entries()) {
        const stored = await store.load(id);
        const doc = new Y.Doc();
        if (stored.snapshot !== null) Y.applyUpdate(doc, stored.snapshot);
        for (const row of stored.updates) Y.applyUpdate(doc, row.update);
        const names = board(i).map((w) => w.name);
        const inPostgres = entriesOf(doc, names);
        const lost = board(i)
          .flatMap((w) => w.acknowledged())
          .filter((entry) => !inPostgres.has(entry));
        expect(lost, `${lost.length} acknowledged edits of dashboard ${i} missing from Postgres`).toEqual([]);
        const total = board(i).reduce((sum, w) => sum + w.written(), 0);
        await eventually(
          () => board(i).every((w) => entriesOf(w.client.doc, names).size === total),
          20_000,
          `dashboard ${i} converged`,
        );
      }
      expect(writers.reduce((sum, w) => sum + w.written(), 0)).toBeGreaterThan(600);

      // Every execution finishes on the survivor.
      const keys = [...answers.keys()];
      const ids = [...new Set([...answers.values()].flat())];
      await eventually(
        async () => {
          const rows = await db
            .selectFrom('executions')
            .select(['id', 'status'])
            .where('recipe_id', '=', workId)
            .execute();
          return rows.length >= keys.length && rows.every((r) => r.status === 'succeeded');
        },
        90_000,
        'every execution succeeded',
      ).catch(async (error: unknown) => {
        const unfinished = await db
          .selectFrom('executions')
          .select(['id', 'status'])
          .where('recipe_id', '=', workId)
          .where('status', '!=', 'succeeded')
          .execute();
        for (const { id } of unfinished) {
          console.log(
            'on failure:',
            id,
            JSON.stringify((await api('GET', `/v1/executions/${id}`)).body).slice(0, 3000),
          );
          console.log(
            'on failure, its sessions',
            JSON.stringify(await db.selectFrom('sessions').selectAll().where('execution_id', '=', id).execute()).slice(
              0,
              3000,
            ),
          );
          console.log(
            'on failure, its runs',
            JSON.stringify(
              await db.selectFrom('sandbox_runs').selectAll().where('execution_id', '=', id).execute(),
            ).slice(0, 3000),
          );
          console.log(
            'on failure, its outbox',
            JSON.stringify(
              (await sql`SELECT * FROM job_outbox WHERE data::text LIKE ${`%${id}%`}`.execute(db)).rows,
            ).slice(0, 3000),
          );
          console.log(
            'on failure, its jobs',
            JSON.stringify(
              (
                await sql`SELECT name, state, retry_count, start_after, created_on, completed_on, output FROM pgboss.job
                WHERE data::text LIKE ${`%${id}%`}`
                  .execute(db)
                  .catch((e: unknown) => ({ rows: [String(e)] }))
              ).rows,
            ).slice(0, 3000),
          );
          console.log(
            'on failure, its ledger',
            JSON.stringify((await sandboxLedger(plane.url)).filter((r) => r.idempotencyKey.startsWith(id))),
          );
        }
        console.log('on failure, survivor', servers.b?.output().slice(-5000));
        throw error;
      });

      // No key started twice: both answers to a key name one execution, the one Postgres remembers
      // for the key, and no other execution of the recipe exists.
      for (const [key, got] of answers) expect(new Set(got).size, key).toBe(1);
      const remembered = await sql<{
        key: string;
        id: string;
      }>`SELECT key, response->>'id' AS id FROM idempotency_keys WHERE operation = 'startExecution'`.execute(db);
      expect(remembered.rows.map((r) => r.key).sort()).toEqual([...keys].sort());
      for (const row of remembered.rows) expect(answers.get(row.key)?.[0], row.key).toBe(row.id);
      const executions = await db.selectFrom('executions').select('id').where('recipe_id', '=', workId).execute();
      expect(executions.map((e) => e.id).sort()).toEqual([...ids].sort());
      // Nor any attempt: the plane started every run key once, and Baton dispatched each once.
      const runKeys = (await sandboxLedger(plane.url)).map((r) => r.idempotencyKey);
      expect(runKeys.length).toBeGreaterThanOrEqual(keys.length * 2);
      expect(new Set(runKeys).size).toBe(runKeys.length);
      const dispatched = await db.selectFrom('sandbox_runs').select('run_key').execute();
      expect(new Set(dispatched.map((r) => r.run_key)).size).toBe(dispatched.length);

      // Each schedule fired every second once, across the kill, each fire its own execution. The
      // survivor keeps it firing, whichever instance armed its timer (a timer job the killed one held
      // is retried once its heartbeat is stale: about 20 s, the fires since then caught up).
      for (const schedule of schedules) {
        const lastFire = () =>
          db
            .selectFrom('schedule_fires')
            .select((eb) => eb.fn.max('fire_at').as('at'))
            .where('schedule_id', '=', schedule.id)
            .executeTakeFirst();
        await eventually(
          async () => ((await lastFire())?.at?.getTime() ?? 0) > killedAt + 2_000,
          45_000,
          'a fire after the kill',
        );
        expect((await api('PATCH', `/v1/schedules/${schedule.id}`, { paused: true })).status).toBe(200);
      }
      for (const schedule of schedules) {
        const fires = await db
          .selectFrom('schedule_fires')
          .select(['fire_at', 'outcome', 'execution_id'])
          .where('schedule_id', '=', schedule.id)
          .orderBy('fire_at')
          .execute();
        const times = fires.map((f) => f.fire_at.getTime());
        // It fired before the kill and after it, every second in between: no time skipped, none twice.
        // (How many fires that is depends on how fast the machine got here; a count would not say more.)
        expect(times[0], 'first fire before the kill').toBeLessThan(killedAt);
        expect(times.at(-1), 'last fire after the kill').toBeGreaterThan(killedAt + 2_000);
        expect(new Set(times).size).toBe(times.length);
        expect(times.slice(1).map((t, i) => t - (times[i] as number))).toEqual(times.slice(1).map(() => 1000));
        expect(fires.every((f) => f.outcome === 'started' && f.execution_id !== null)).toBe(true);
        const started = await eventually(
          async () => {
            const rows = await db
              .selectFrom('executions')
              .select(['id', 'status'])
              .where('recipe_id', '=', schedule.recipeId)
              .execute();
            return rows.every((r) => r.status === 'succeeded') ? rows : undefined;
          },
          30_000,
          'every scheduled execution succeeded',
        );
        expect(started.map((e) => e.id).sort()).toEqual(fires.map((f) => f.execution_id).sort());
      }

      // After the survivor dies too and comes back, the documents still hold every acknowledged edit.
      for (const c of clients) c.provider.configuration.websocketProvider.disconnect();
      await kill('b');
      await startInstance('b');
      await waitForStatus(`${proxy.url}/readyz`, 200, 30_000);
      for (const [i, id] of dashboards.entries()) {
        const fresh = connectClient(proxy.url, id, { token, reconnectForever: true });
        clients.push(fresh);
        await eventually(() => fresh.provider.isSynced, 20_000, 'fresh client synced');
        const recovered = entriesOf(
          fresh.doc,
          board(i).map((w) => w.name),
        );
        const lost = board(i)
          .flatMap((w) => w.acknowledged())
          .filter((entry) => !recovered.has(entry));
        expect(lost, `${lost.length} acknowledged edits of dashboard ${i} lost after the restart`).toEqual([]);
      }
    },
  );
});
