import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startPatienceMs, startServerProcess, type Spawned } from '../support/processes.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * Baton as its own process (node directly, so SIGKILL hits the server itself), clients in the test.
 * An edit counts as acknowledged when the provider's unsynced-changes counter drops back to zero.
 */
let database: TestDatabase;
let db: Database;
let port: number;
let server: Spawned | undefined;
let token: string;
let dashboardId: string;
const clients: RealtimeClient[] = [];

async function startServer(): Promise<void> {
  server = await startServerProcess(database.url, port, { BATON_REALTIME_COMPACT_MS: '300' });
}

function client(): RealtimeClient {
  const made = connectClient(`http://127.0.0.1:${port}`, dashboardId, { token, reconnectForever: true });
  clients.push(made);
  return made;
}

/**
 * A writer that appends numbered entries and notes when each was acknowledged by the server. The
 * server answers every update with one acknowledgement, in order, so entry i is acknowledged once
 * the provider has counted as many acknowledgements as were due when it was sent (those before it
 * and its own). While the writer types faster than the log commits, the provider's count of unsynced
 * changes never drops to zero, so each drop is counted instead.
 */
function writer(name: string, target: RealtimeClient) {
  const sentAt: number[] = [];
  const dueAt: number[] = [];
  const ackedAt: Array<number | undefined> = [];
  let acks = 0;
  let last = target.provider.unsyncedChanges;
  target.provider.on('unsyncedChanges', ({ number }: { number: number }) => {
    if (number < last) acks += last - number;
    last = number;
    const now = Date.now();
    for (let i = 0; i < sentAt.length; i++)
      if (ackedAt[i] === undefined && acks >= (dueAt[i] as number)) ackedAt[i] = now;
  });
  let timer: ReturnType<typeof setInterval> | undefined;
  return {
    start() {
      timer = setInterval(() => {
        const i = sentAt.length;
        sentAt.push(Date.now());
        // The provider sends the update and counts it as unsynced synchronously.
        target.doc.getArray<string>(`log-${name}`).push([`${name}-${i}`]);
        dueAt.push(acks + target.provider.unsyncedChanges);
      }, 4);
    },
    stop: () => clearInterval(timer),
    /** Entries acknowledged at least `marginMs` before `instant`. */
    ackedBefore: (instant: number, marginMs: number) =>
      ackedAt.flatMap((at, i) => (at !== undefined && at <= instant - marginMs ? [`${name}-${i}`] : [])),
    written: () => sentAt.length,
  };
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  const made = await bootstrapToken(ctx, { email: 'writer@example.com', workspaceName: 'Crash' });
  token = made.secret;
  dashboardId = (
    await createDashboard(
      ctx,
      sessionPrincipal(made.user.id),
      made.workspace?.id ?? '',
      { name: 'Crash board' },
      'setup',
    )
  ).id;
  port = await freePort();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
  await db.destroy();
  await database.drop();
});

// Each test starts the server twice: its budget is a few start-up caps.
describe('dashboard durability', { timeout: 3 * startPatienceMs }, () => {
  it(
    'loses no edit acknowledged before a SIGKILL (acknowledged ' + 'means durable), and clients reconnect and converge',
    async () => {
      await startServer();
      const a = client();
      const b = client();
      await eventually(() => a.provider.isSynced && b.provider.isSynced, 30_000, 'clients synced');
      const writers = [writer('a', a), writer('b', b)];
      for (const w of writers) w.start();
      // The kill comes once both streams have had edits acknowledged, however slowly a loaded machine
      // writes: the proof is about edits acknowledged before the kill, so there must be plenty of them.
      await eventually(
        () => writers.every((w) => w.ackedBefore(Date.now(), 0).length >= 100),
        60_000,
        'edits acknowledged on both streams',
      );
      server?.child.kill('SIGKILL');
      const killedAt = Date.now();
      await server?.exited;
      // The clients keep writing while the server is down, as people would.
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (const w of writers) w.stop();
      // Keep the writers away until the recovered state has been checked, so they cannot refill it.
      for (const c of [a, b]) c.provider.configuration.websocketProvider.disconnect();
      // The server acknowledges an edit once the durable log has it: no margin.
      const mustSurvive = writers.flatMap((w) => w.ackedBefore(killedAt, 0));
      expect(mustSurvive.length).toBeGreaterThanOrEqual(200); // the stream really ran

      await startServer();
      // A fresh client sees what the server recovered from Postgres alone.
      const fresh = client();
      await eventually(() => fresh.provider.isSynced, 30_000, 'fresh client synced');
      const recovered = new Set([
        ...fresh.doc.getArray<string>('log-a').toArray(),
        ...fresh.doc.getArray<string>('log-b').toArray(),
      ]);
      const lost = mustSurvive.filter((entry) => !recovered.has(entry));
      expect(lost, `${lost.length} of ${mustSurvive.length} acknowledged edits lost`).toEqual([]);

      // The writers reconnect and push what the server never saw; everyone converges.
      for (const c of [a, b]) void c.provider.configuration.websocketProvider.connect();
      const total = writers.reduce((n, w) => n + w.written(), 0);
      await eventually(
        () => [a, b, fresh].every((c) => c.doc.getArray('log-a').length + c.doc.getArray('log-b').length === total),
        30_000,
        'convergence',
      );
      expect(fresh.doc.getArray('log-a').toJSON()).toEqual(a.doc.getArray('log-a').toJSON());
      expect(fresh.doc.getArray('log-b').toJSON()).toEqual(b.doc.getArray('log-b').toJSON());
    },
  );

  it('keeps the document and the items projection intact across a graceful restart', async () => {
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const todo = await api('POST', `/v1/dashboards/${dashboardId}/items`, { kind: 'todo', title: 'Survive restarts' });
    expect(todo.status).toBe(201);
    const live = client();
    await eventually(() => live.provider.isSynced, 30_000, 'synced');
    // A browser edit of the todo's text, and a REST change of its state.
    ((live.doc.getMap('items').get(todo.body.id) as Y.Map<unknown>).get('body') as Y.Text).insert(
      0,
      'typed in a browser',
    );
    await eventually(() => live.provider.unsyncedChanges === 0, 30_000, 'edit acknowledged');
    await api('PATCH', `/v1/dashboards/${dashboardId}/items/${todo.body.id}`, { done: true });
    const before = await eventually(
      async () => {
        const items = (await api('GET', `/v1/dashboards/${dashboardId}/items`)).body.items as Array<{
          id: string;
          body: string;
          done?: boolean;
        }>;
        return items.find((i) => i.id === todo.body.id)?.body === 'typed in a browser' ? items : undefined;
      },
      30_000,
      'projection caught up',
    );
    const stateBefore = Y.encodeStateAsUpdate(live.doc);
    const logBefore = live.doc.getArray('log-a').length;

    server?.child.kill('SIGTERM');
    expect(await server?.exited).toBe(0);
    await startServer();

    const after = (await api('GET', `/v1/dashboards/${dashboardId}/items`)).body.items;
    expect(after).toEqual(before);
    expect(after.find((i: { id: string }) => i.id === todo.body.id)).toMatchObject({
      done: true,
      body: 'typed in a browser',
    });
    const fresh = client();
    await eventually(() => fresh.provider.isSynced, 30_000, 'fresh synced');
    expect(fresh.doc.getArray('log-a').length).toBe(logBefore);
    const reference = new Y.Doc();
    Y.applyUpdate(reference, stateBefore);
    expect(fresh.doc.getMap('items').toJSON()).toEqual(reference.getMap('items').toJSON());
    // A graceful stop compacted the log into the snapshot.
    const pending = await db
      .selectFrom('dashboard_updates')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('dashboard_id', '=', dashboardId)
      .executeTakeFirstOrThrow();
    const snapshot = await db
      .selectFrom('dashboard_docs')
      .select('dashboard_id')
      .where('dashboard_id', '=', dashboardId)
      .executeTakeFirst();
    expect(snapshot).toBeDefined();
    expect(Number(pending.n)).toBeLessThan(5);
  });
});
