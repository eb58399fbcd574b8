import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { HocuspocusRealtime } from '../../src/adapters/hocuspocus/hocuspocus-realtime.ts';
import { bridgeNodeSocket } from '../../src/adapters/hocuspocus/node-socket.ts';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createDocumentStore } from '../../src/adapters/postgres/document-store.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { changeDocument } from '../../src/app/realtime/change-document.ts';
import type { RealtimeAccess } from '../../src/app/realtime/connect.ts';
import { DocumentLog } from '../../src/app/realtime/document-log.ts';
import { stateDocumentName } from '../../src/app/realtime/document-name.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import type { DocumentStore } from '../../src/ports/document-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { systemTimers } from '../../src/adapters/clock/system-timers.ts';

// A state document's clients are read-only: they could never hand back a server write the server
// lost before it was durable, so they are sent only what the log holds. The Node realtime server,
// on a document store whose writes this test holds back, with real provider clients.
let database: TestDatabase;
let db: Database;
let realtime: HocuspocusRealtime;
let server: Server;
let url = '';
let dashboardId = '';
/** While set, the store's log writes wait for it. */
let hold: Promise<void> | undefined;
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 4, logger: silentLogger });
  const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url }));
  const made = await bootstrapToken(ctx, { email: 'fan-out@example.com', workspaceName: 'Fan-out' });
  dashboardId = (
    await createDashboard(ctx, sessionPrincipal(made.user.id), made.workspace?.id ?? '', { name: 'Board' }, 'setup')
  ).id;
  const access: RealtimeAccess = {
    principal: sessionPrincipal(made.user.id),
    sessionId: undefined,
    readOnly: false,
    user: { name: null, email: null },
  };
  const stored = createDocumentStore(db);
  const store: DocumentStore = {
    ...stored,
    append: async (updates, projections) => {
      await hold;
      return stored.append(updates, projections);
    },
  };
  realtime = new HocuspocusRealtime({
    admit: async () => access,
    store,
    log: new DocumentLog(store, { windowMs: 5, logger: silentLogger, timers: systemTimers }),
    logger: silentLogger,
    compactAfterMs: 60_000,
    compactAtMostMs: 600_000,
  });
  server = createServer();
  new WebSocketServer({ server }).on('connection', (socket, request) =>
    bridgeNodeSocket(realtime, socket, new Request(`http://127.0.0.1${request.url ?? '/'}`), silentLogger),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  hold = undefined;
  await realtime?.close();
  await new Promise((resolve) => server?.close(resolve));
  await db?.destroy();
  await database?.drop();
});

describe("a state document's fan-out", () => {
  it(
    'sends a server write to its read-only clients only once ' + 'the log holds it; a dashboard document does not wait',
    async () => {
      const state = connectClient(url, dashboardId, { token: 'any', state: true });
      const dashboard = connectClient(url, dashboardId, { token: 'any' });
      clients.push(state, dashboard);
      await eventually(() => state.provider.isSynced && dashboard.provider.isSynced, 10_000, 'synced');
      expect(state.scope()).toBe('readonly');

      let release: () => void = () => undefined;
      hold = new Promise<void>((resolve) => (release = resolve));
      const stateWrite = changeDocument({ realtime }, stateDocumentName(dashboardId), (doc) =>
        doc.getMap('executions').set('e1', { status: 'running' }),
      );
      const dashboardWrite = changeDocument({ realtime }, dashboardId, (doc) =>
        doc.getMap('notes').set('n1', 'shared at once'),
      );
      // The dashboard document's clients get the write at once (they send back what the server lacks).
      await eventually(
        () => dashboard.doc.getMap('notes').get('n1') === 'shared at once',
        10_000,
        'the dashboard write shared',
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(state.doc.getMap('executions').has('e1')).toBe(false);

      release();
      hold = undefined;
      await Promise.all([stateWrite, dashboardWrite]);
      await eventually(() => state.doc.getMap('executions').has('e1'), 10_000, 'the durable state write shown');
      expect(state.doc.getMap('executions').get('e1')).toEqual({ status: 'running' });
    },
  );
});
