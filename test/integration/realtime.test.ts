import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { realtimeSuite, realtimeSuiteEnv } from '../support/suites/realtime-suite.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// Live dashboards on Node: Hocuspocus in the Node server, access changes heard through Postgres
// NOTIFY. test/workerd/realtime-do.test.ts runs the same suite against the Durable Object.
let database: TestDatabase;
let baton: TestApp;
const env = { BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000', ...realtimeSuiteEnv };

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, env);
});

afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

realtimeSuite('Node (Hocuspocus)', () => ({
  url: baton.url,
  publicOrigin: new URL(baton.config.http.publicUrl).origin,
  ctx: baton.ctx,
  async restart() {
    // The same port, so the public URL (and with it the same-site origin) stays the same.
    const port = new URL(baton.url).port;
    await baton.close();
    baton = await startTestApp(database.url, { ...env, PORT: port });
  },
}));
