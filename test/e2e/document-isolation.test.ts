import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { addItem } from '../../src/app/realtime/document-model.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startServerProcess, type Spawned } from '../support/processes.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';

/**
 * One workspace's poisoned document must not cost another workspace its edits. The server runs as
 * its own process (node directly, so SIGKILL hits it); clients are real providers. Workspace A's
 * member writes what Postgres cannot store through the document (U+0000 in a title, an item id too
 * long for the projection's index); a bystander in workspace B keeps working, and every edit B saw
 * acknowledged survives a SIGKILL.
 */
let database: TestDatabase;
let db: Database;
let port: number;
let server: Spawned | undefined;
const tenants = { a: { token: '', userId: '', dashboardId: '' }, b: { token: '', userId: '', dashboardId: '' } };
const clients: RealtimeClient[] = [];

const base = () => `http://127.0.0.1:${port}`;

function client(tenant: keyof typeof tenants): RealtimeClient {
  const made = connectClient(base(), tenants[tenant].dashboardId, {
    token: tenants[tenant].token,
    reconnectForever: true,
  });
  clients.push(made);
  return made;
}

/** Resolves once the server acknowledged every change the client sent (the provider's own count). */
const acknowledged = (c: RealtimeClient, what: string) =>
  eventually(() => c.provider.isSynced && c.provider.unsyncedChanges === 0, 15_000, what);

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  for (const [key, tenant] of Object.entries(tenants)) {
    const made = await bootstrapToken(ctx, {
      email: `${key}@example.com`,
      workspaceName: `Workspace ${key.toUpperCase()}`,
    });
    tenant.token = made.secret;
    tenant.userId = made.user.id;
    tenant.dashboardId = (
      await createDashboard(
        ctx,
        sessionPrincipal(made.user.id),
        made.workspace?.id ?? '',
        { name: `Board ${key}` },
        'setup',
      )
    ).id;
  }
  port = await freePort();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
  await db.destroy();
  await database.drop();
});

describe('a poisoned document fails alone', () => {
  it(
    'keeps every acknowledged edit of another workspace ' + 'through a SIGKILL, and the poisoned document too',
    async () => {
      server = await startServerProcess(database.url, port, { BATON_REALTIME_COMPACT_MS: '60000' });
      const a = client('a');
      const b = client('b');
      await eventually(() => a.provider.isSynced && b.provider.isSynced, 10_000, 'clients synced');

      // A writes a title with U+0000 through the document, as a browser can: the document keeps it,
      // the items projection (what REST lists) holds U+FFFD in its place.
      const now = new Date();
      addItem(
        a.doc,
        { kind: 'note', title: 'a\u0000b', body: 'x\u0000y' },
        { id: 'nul-title', author: tenants.a.userId, now },
      );
      await acknowledged(a, 'the NUL title acknowledged');
      const listed = await eventually(
        async () => {
          const items = (await callApi(base(), 'GET', `/v1/dashboards/${tenants.a.dashboardId}/items`, tenants.a.token))
            .body.items as Array<{ id: string; title: string; body: string }>;
          return items.find((i) => i.id === 'nul-title');
        },
        10_000,
        'the projection lists the item',
      );
      expect(listed).toMatchObject({ title: 'a\uFFFDb', body: 'x\uFFFDy' });

      // Then an item whose id Postgres refuses in the projection (beyond its index's row size).
      const hugeId = Array.from(
        { length: 12_000 },
        () => 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)],
      ).join('');
      addItem(
        a.doc,
        { kind: 'note', title: 'too long an id', body: '' },
        { id: hugeId, author: tenants.a.userId, now },
      );
      await acknowledged(a, 'the huge id acknowledged: its update bytes are durable');
      // /readyz names the document as an alert and still answers 200: one document does not take
      // the instance out of service.
      const ready = await eventually(
        async () => {
          const res = await fetch(`${base()}/readyz`);
          const body = (await res.json()) as {
            status: string;
            checks: Record<string, { ok: boolean; reason?: string }>;
          };
          return body.checks.documents?.ok === false ? { status: res.status, body } : undefined;
        },
        10_000,
        '/readyz shows the alert',
      );
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ready');
      expect(ready.body.checks.documents?.reason).toContain(tenants.a.dashboardId);
      expect(ready.body.checks.database).toEqual({ ok: true });

      // Meanwhile B works: 100 edits through the provider, each its own update, all acknowledged...
      for (let i = 0; i < 100; i++) b.doc.getArray<string>('log').push([`b-${i}`]);
      // ...A keeps editing its poisoned document at the same time...
      a.doc.transact(() => (a.doc.getMap('items').get('nul-title') as Y.Map<unknown>).set('title', 'again\u0000'));
      // ...and REST writes to B's dashboard are answered.
      const rest = await callApi(base(), 'POST', `/v1/dashboards/${tenants.b.dashboardId}/items`, tenants.b.token, {
        kind: 'note',
        title: 'written over REST',
      });
      expect(rest.status).toBe(201);
      await acknowledged(b, "B's 100 edits acknowledged");
      await acknowledged(a, "A's latest edit acknowledged");

      server.child.kill('SIGKILL');
      await server.exited;
      // Keep the clients from sending their state again before the recovered state is checked.
      for (const c of [a, b]) c.provider.configuration.websocketProvider.disconnect();
      server = await startServerProcess(database.url, port, { BATON_REALTIME_COMPACT_MS: '60000' });

      // Everything B saw acknowledged is there, read by a fresh client from what Postgres kept.
      const freshB = client('b');
      await eventually(() => freshB.provider.isSynced, 10_000, 'fresh B synced');
      expect(freshB.doc.getArray<string>('log').toArray()).toEqual(Array.from({ length: 100 }, (_, i) => `b-${i}`));
      const itemsB = (await callApi(base(), 'GET', `/v1/dashboards/${tenants.b.dashboardId}/items`, tenants.b.token))
        .body.items as Array<{ title: string }>;
      expect(itemsB.map((i) => i.title)).toEqual(['written over REST']);

      // A's document kept its update bytes as written: the NUL title and the huge id are in it.
      const freshA = client('a');
      await eventually(() => freshA.provider.isSynced, 10_000, 'fresh A synced');
      const items = freshA.doc.getMap('items');
      expect((items.get('nul-title') as Y.Map<unknown>).get('title')).toBe('again\u0000');
      expect(((items.get('nul-title') as Y.Map<unknown>).get('body') as Y.Text).toString()).toBe('x\u0000y');
      expect(items.has(hugeId)).toBe(true);

      // The open tabs come back and send their state again; the server keeps serving B.
      for (const c of [a, b]) void c.provider.configuration.websocketProvider.connect();
      await acknowledged(a, 'A resynced');
      b.doc.getArray<string>('log').push(['after the restart']);
      await acknowledged(b, 'B resynced and acknowledged');
      await eventually(() => freshB.doc.getArray<string>('log').length === 101, 10_000, 'fan-out to the fresh client');
      expect(
        (
          await callApi(base(), 'POST', `/v1/dashboards/${tenants.b.dashboardId}/items`, tenants.b.token, {
            kind: 'note',
            title: 'after',
          })
        ).status,
      ).toBe(201);
    },
  );
});
