import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { UnstorableDocumentError, type DocumentStore } from '../../src/ports/document-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { fromWire, toWire, type DocumentStoreAnswer, type DocumentStoreCall } from '../support/document-store-wire.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { dashboardMaker, documentStoreSuite } from '../support/suites/document-store-suite.ts';
import { startWorker, wranglerRuntime, type WorkerdWorker } from '../support/workerd.ts';

// On Cloudflare the document store is the same Postgres adapter, but it runs in workerd over pg and
// cloudflare:sockets through Hyperdrive. Here it runs so, in a fixture Worker with wrangler.toml's
// date and flags, and the shared suite drives it over HTTP through a proxy DocumentStore. Dashboards
// are made from Node in the same database. test/integration/document-store.test.ts runs it on Node.
let database: TestDatabase;
let worker: WorkerdWorker;
let db: Database;

beforeAll(async () => {
  database = await createTestDatabase();
  const runtime = await wranglerRuntime();
  worker = await startWorker({
    entry: 'test/workerd/fixtures/document-store-worker.ts',
    compatibilityDate: runtime.date,
    compatibilityFlags: runtime.flags,
    hyperdrives: { HYPERDRIVE: database.url },
  });
  // Node's own handle only makes dashboards; every store call goes to the Worker.
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
});

afterAll(async () => {
  await db?.destroy();
  await worker?.dispose();
  await database?.drop();
});

/**
 * A DocumentStore whose calls run in the Worker. `compact` ignores the merge and state-vector
 * functions it is given (functions cannot cross the wire): the Worker uses yjs's `mergeUpdates` and
 * `encodeStateVectorFromUpdate`, the very ones the suite always passes. A transaction cannot cross
 * either, so `listItems` refuses one. An error the adapter threw comes back as the same class when
 * the port names it (`UnstorableDocumentError`).
 */
function workerStore(w: WorkerdWorker): DocumentStore {
  const call = async (body: DocumentStoreCall): Promise<never> => {
    const res = await w.fetch('/call', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(toWire(body)),
    });
    const answer = fromWire(await res.json()) as DocumentStoreAnswer;
    if ('error' in answer) {
      const message = `${body.method} failed in workerd (${res.status}): ${answer.error}`;
      throw answer.name === UnstorableDocumentError.name ? new UnstorableDocumentError(message) : new Error(message);
    }
    return answer.result as never;
  };
  return {
    load: (...args) => call({ method: 'load', args }),
    append: (...args) => call({ method: 'append', args }),
    compact: (dashboardId, state, foldedSeqs) => call({ method: 'compact', args: [dashboardId, state, foldedSeqs] }),
    listItems: (dashboardId, tx) => {
      if (tx !== undefined) throw new Error('a transaction cannot cross into the Worker');
      return call({ method: 'listItems', args: [dashboardId] });
    },
  };
}

describe('the document store Worker', () => {
  it('is workerd answering', async () => {
    const res = await worker.fetch('/runtime');
    expect(await res.json()).toEqual({ runtime: 'Cloudflare-Workers' });
  });
});

documentStoreSuite('Postgres in workerd (Hyperdrive)', async () => ({
  store: workerStore(worker),
  newDashboard: dashboardMaker(db),
  // The file's afterAll closes the Worker and the handle.
  close: async () => undefined,
}));
