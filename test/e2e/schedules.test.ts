import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startPatienceMs, startServerProcess, type Spawned } from '../support/processes.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * Schedules with real server processes on one database: two instances fire each fire time once,
 * and instances killed across several fire times apply each schedule's catch-up policy on restart.
 */
let database: TestDatabase;
let db: Database;
let dataDir: string;
let token: string;
let workspaceId: string;
let dashboardId: string;
let recipeId: string;
const ports: number[] = [];
const servers: Spawned[] = [];

/**
 * The misfire window of the instance restarted after the outage: a fire handled more than this late
 * counts as missed. Which fires of the restart's batch were missed depends only on the batch's own
 * handling time (the test classifies them the same way), never on how fast the machine is. Shorter
 * than the schedules' two-second cadence, so a batch holds at most one fire on time.
 */
const restartMisfireSeconds = 1;
/** Down long enough that at least three two-second fires fall outside the restart's misfire window. */
const downMs = restartMisfireSeconds * 1_000 + 7_000;
// Until the outage the default window (a minute): a fire handled late on a loaded machine still
// starts, as it should, so "every fire started" holds however slow the instances are.
const env = (misfireSeconds?: number) => ({
  BATON_DATA_DIR: dataDir,
  BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
  ...(misfireSeconds === undefined ? {} : { BATON_SCHEDULE_MISFIRE_SECONDS: String(misfireSeconds) }),
});
async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${ports[0]}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
type Fire = { fireAt: string; outcome: string; executionId: string | null; reason: string | null; handledAt: string };
const firesOf = async (id: string): Promise<Fire[]> =>
  ((await api('GET', `/v1/schedules/${id}/fires?limit=200`)).body.fires as Fire[]).reverse();
const killAll = async () => {
  for (const s of servers.splice(0)) {
    s.child.kill('SIGKILL');
    await s.exited;
  }
};

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'baton-schedules-'));
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  const made = await bootstrapToken(ctx, { email: 'cron@example.com', workspaceName: 'Cron' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (await createDashboard(ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Cron' }, 'setup')).id;
  ports.push(await freePort(), await freePort());
});
afterAll(async () => {
  await killAll();
  await db.destroy();
  await database.drop();
  await rm(dataDir, { recursive: true, force: true });
});

// Each test starts servers (two at once, or one after the outage): its budget is a few start-up caps.
describe('schedules across instances and restarts', { timeout: 3 * startPatienceMs }, () => {
  it('two instances fire a schedule exactly once per fire time', async () => {
    for (const port of ports) servers.push(await startServerProcess(database.url, port, env()));
    recipeId = (
      await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: tick\nsteps:\n  - { id: note, kind: notify, channel: dashboard, message: tick }\n',
      })
    ).body.id as string;
    const created = await api('POST', `/v1/workspaces/${workspaceId}/schedules`, {
      name: 'tick',
      recipeId,
      dashboardId,
      cron: '* * * * * *',
      overlap: 'allow',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await eventually(async () => ((await firesOf(id)).length >= 6 ? true : undefined), 60_000, 'six fires');
    await api('PATCH', `/v1/schedules/${id}`, { paused: true });
    const fires = await firesOf(id);
    // Every second fired (no gap), each fire started its own execution, and no other execution exists.
    const times = fires.map((f) => Date.parse(f.fireAt));
    expect(times.slice(1).map((t, i) => t - (times[i] ?? 0))).toEqual(times.slice(1).map(() => 1000));
    expect(fires.every((f) => f.outcome === 'started' && f.executionId !== null)).toBe(true);
    const executions = await db.selectFrom('executions').select('id').where('recipe_id', '=', recipeId).execute();
    expect(executions.map((e) => e.id).sort()).toEqual(fires.map((f) => f.executionId).sort());
  });

  it('applies each catch-up policy to the fires missed while every instance was down', async () => {
    const schedule = async (mode: string, limit = 10) =>
      (
        await api('POST', `/v1/workspaces/${workspaceId}/schedules`, {
          name: `catch-up ${mode}`,
          recipeId,
          dashboardId,
          cron: '*/2 * * * * *',
          overlap: 'allow',
          catchUp: { mode, limit },
        })
      ).body.id as string;
    const none = await schedule('none');
    const latest = await schedule('latest');
    const all = await schedule('all', 2);
    for (const id of [none, latest, all])
      await eventually(
        async () => ((await firesOf(id)).some((f) => f.outcome === 'started') ? true : undefined),
        30_000,
        'a first fire',
      );
    await killAll();
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, downMs));
    servers.push(await startServerProcess(database.url, ports[0] ?? 0, env(restartMisfireSeconds)));
    // The first batch each schedule handled after the restart: the fires that fell due while down.
    const batchOf = async (id: string) => {
      const fires = await eventually(
        async () => {
          const all = await firesOf(id);
          return all.some((f) => Date.parse(f.handledAt) > downAt + downMs) ? all : undefined;
        },
        60_000,
        'fires handled after the restart',
      );
      const first = fires.find((f) => Date.parse(f.handledAt) > downAt + downMs)?.handledAt;
      const batch = fires.filter((f) => f.handledAt === first);
      expect(batch.length).toBeGreaterThanOrEqual(3);
      const late = (f: Fire) => Date.parse(f.handledAt) - Date.parse(f.fireAt) > restartMisfireSeconds * 1_000;
      return { missed: batch.filter(late), onTime: batch.filter((f) => !late(f)) };
    };
    const outcomes = (fires: Fire[]) => fires.map((f) => f.outcome);

    const n = await batchOf(none);
    expect(n.missed.length).toBeGreaterThanOrEqual(2);
    expect(new Set(outcomes(n.missed))).toEqual(new Set(['missed']));
    expect(n.missed[0]?.reason).toMatch(/catch-up: none/);

    // latest: one run for the whole batch, the newest fire of it.
    const l = await batchOf(latest);
    const lBatch = [...l.missed, ...l.onTime];
    expect(outcomes(lBatch).filter((o) => o === 'started')).toHaveLength(1);
    expect(lBatch.at(-1)?.outcome).toBe('started');

    // all, bounded to 2: the two newest missed fires run, older ones do not.
    const a = await batchOf(all);
    expect(outcomes(a.missed).slice(-2)).toEqual(['started', 'started']);
    expect(new Set(outcomes(a.missed.slice(0, -2)))).toEqual(new Set(['missed']));
    expect(a.missed.length).toBeGreaterThanOrEqual(3);
  });
});
