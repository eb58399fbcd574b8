import { afterAll } from 'vitest';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
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
