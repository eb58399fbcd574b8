import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { serverOwnedSuite } from '../support/suites/server-owned-suite.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Server-owned state of a dashboard document on Node (Hocuspocus in the Node server);
// test/workerd/realtime-server-owned-do.test.ts runs the same suite against the Durable Object.
let database: TestDatabase;
let baton: TestApp;

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000' });
}, 60_000);

afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

serverOwnedSuite('Node (Hocuspocus)', () => ({ url: baton.url, apiUrl: baton.url, ctx: baton.ctx, appliesDecisions: true }));
