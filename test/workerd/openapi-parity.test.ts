import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { startWorker, type WorkerdWorker } from '../support/workerd.ts';

// Both runtimes must serve the same API: the OpenAPI document a Worker serves (Baton's real route
// table, bundled for workerd without nodejs_compat, mounted with the fetch router) must equal the
// one the Node server serves (fastify, real Postgres).
let database: TestDatabase;
let node: TestApp;
let worker: WorkerdWorker;
beforeAll(async () => {
  [database, worker] = await Promise.all([
    createTestDatabase(),
    startWorker({ entry: 'test/workerd/fixtures/openapi-worker.ts', compatibilityDate: '2025-09-01' }),
  ]);
  node = await startTestApp(database.url);
});
afterAll(async () => {
  await worker?.dispose();
  await node?.close();
  await database?.drop();
});

describe('OpenAPI parity between Node and workerd', () => {
  it('serves an identical /openapi.json from both runtimes', async () => {
    const [fromNode, fromWorker] = await Promise.all([
      fetch(`${node.url}/openapi.json`),
      worker.fetch('/openapi.json'),
    ]);
    expect([fromNode.status, fromWorker.status]).toEqual([200, 200]);
    expect(fromWorker.headers.get('content-type')).toBe(fromNode.headers.get('content-type'));
    const [nodeDoc, workerDoc] = (await Promise.all([fromNode.json(), fromWorker.json()])) as [
      { paths: Record<string, unknown> },
      unknown,
    ];
    // A document worth comparing: the whole API, not an empty shell.
    expect(Object.keys(nodeDoc.paths).length).toBeGreaterThan(20);
    expect(workerDoc).toEqual(nodeDoc);
  });

  it('answers requests that need no database the same way on both', async () => {
    const requests: Array<[string, RequestInit]> = [
      ['/healthz', {}],
      ['/v1/no-such-route?x=1', {}],
      ['/v1/workspaces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"w"}' }],
      ['/v1/workspaces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' }],
      ['/v1/workspaces', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'w' }],
      ['/v1/workspaces', { method: 'POST', headers: { authorization: 'Bearer nope' } }],
      ['/v1/dashboards/%E0%A4%A', { method: 'PATCH' }],
    ];
    for (const [path, init] of requests) {
      const [fromNode, fromWorker] = await Promise.all([fetch(`${node.url}${path}`, init), worker.fetch(path, init)]);
      const answer = async (res: Response) => ({
        path,
        status: res.status,
        type: res.headers.get('content-type'),
        body: await res.json(),
      });
      expect(await answer(fromWorker)).toEqual(await answer(fromNode));
    }
  });
});
