import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { serverOwnedSuite } from '../support/suites/server-owned-suite.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';
import { buildWorkerBundle, startBatonWorker, type WorkerdWorker } from '../support/workerd.ts';

// Server-owned state of a dashboard document in the Durable Object: the built Worker in workerd,
// clients over real WebSockets to its dashboard objects. A Node Baton on the same database starts
// the executions (its mirror stores them; the object loads the document from Postgres). The same
// suite runs on Node in test/integration/realtime-server-owned.test.ts.
let database: TestDatabase;
let node: TestApp;
let outDir: string;
let worker: WorkerdWorker;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-server-owned-do-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  node = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
  await built;
  worker = await startBatonWorker({ bundle: join(outDir, 'worker.js'), databaseUrl: database.url, publicUrl: node.config.http.publicUrl, dashboardsDir: await mkdtemp(join(outDir, 'objects-')) });
}, 120_000);

afterAll(async () => {
  await worker?.dispose();
  await node?.close().catch(() => undefined);
  await database?.drop();
  if (outDir !== undefined) await rm(outDir, { recursive: true, force: true });
});

// Decisions written in the object go to the Worker's queue consumer (test/workerd/orchestrator-worker.test.ts
// applies them); here they are checked to reach the other clients and Postgres.
serverOwnedSuite('Cloudflare (Durable Object per dashboard)', () => ({ url: worker.url, apiUrl: node.url, ctx: node.ctx, appliesDecisions: false }));
