import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import * as Y from 'yjs';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createDocumentStore } from '../../src/adapters/postgres/document-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { dashboardMaker, documentStoreSuite } from '../support/suites/document-store-suite.ts';

// The Postgres document store on Node, over a pool as the Node server opens it. The same suite runs
// against the adapter inside workerd in test/workerd/document-store.test.ts.
let database: TestDatabase | undefined;
afterAll(async () => database?.drop());

documentStoreSuite('Postgres on Node', async () => {
  database = await createTestDatabase();
  const db = createDatabase({ url: database.url, poolMax: 10, logger: silentLogger });
  return {
    store: createDocumentStore(db),
    newDashboard: dashboardMaker(db),
    close: () => db.destroy(),
  };
});

describe('deleting a dashboard', () => {
  it('deletes both of its documents', async () => {
    database ??= await createTestDatabase();
    const db: Database = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
    onTestFinished(() => db.destroy());
    const store = createDocumentStore(db);
    const id = await dashboardMaker(db)();
    const doc = new Y.Doc();
    doc.getMap('executions').set('e1', 'running');
    const update = Y.encodeStateAsUpdate(doc);
    await store.append(
      [
        { dashboardId: id, update },
        { dashboardId: `${id}/state`, update },
      ],
      [],
    );
    await store.compact(
      `${id}/state`,
      update,
      [],
      (updates) => Y.mergeUpdates(updates),
      (u) => Y.encodeStateVectorFromUpdate(u),
    );
    expect(
      (await db.selectFrom('dashboard_updates').select('part').where('dashboard_id', '=', id).execute())
        .map((r) => r.part)
        .sort(),
    ).toEqual(['dashboard', 'state']);
    expect(
      (await db.selectFrom('dashboard_docs').select('part').where('dashboard_id', '=', id).execute()).map(
        (r) => r.part,
      ),
    ).toEqual(['state']);
    await db.deleteFrom('dashboards').where('id', '=', id).execute();
    for (const table of ['dashboard_docs', 'dashboard_updates'] as const) {
      expect(await db.selectFrom(table).select('dashboard_id').where('dashboard_id', '=', id).execute()).toEqual([]);
    }
  });
});
