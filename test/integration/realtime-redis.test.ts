import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { changeDocument } from '../../src/app/realtime/change-document.ts';
import { stateDocumentName } from '../../src/app/realtime/document-name.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { redisServer, startRedis, type TestRedis } from '../support/redis.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

describe.skipIf(redisServer === undefined)('several Baton instances with REDIS_URL', () => {
  let database: TestDatabase;
  let redis: TestRedis | undefined;
  const instances: TestApp[] = [];
  const clients: RealtimeClient[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) instances.push(await startTestApp(database.url, { REDIS_URL: redis.url }));
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const instance of instances) await instance.close();
    await redis?.stop();
    await database.drop();
  });

  it('share live dashboards: an edit on one instance reaches a client of the other, and both are durable', async () => {
    const [one, two] = instances as [TestApp, TestApp];
    const made = await bootstrapToken(one.ctx, { email: 'multi@example.com', workspaceName: 'Scale' });
    const dashboardId = (
      await createDashboard(
        one.ctx,
        sessionPrincipal(made.user.id),
        made.workspace?.id ?? '',
        { name: 'Shared' },
        'setup',
      )
    ).id;
    const a = connectClient(one.url, dashboardId, { token: made.secret });
    const b = connectClient(two.url, dashboardId, { token: made.secret });
    clients.push(a, b);
    await eventually(() => a.provider.isSynced && b.provider.isSynced, 10_000, 'synced');
    a.doc.getMap('shared').set('from-a', 1);
    await eventually(() => b.doc.getMap('shared').get('from-a') === 1, 20_000, 'a → b across instances');
    b.doc.getMap('shared').set('from-b', 2);
    await eventually(() => a.doc.getMap('shared').get('from-b') === 2, 20_000, 'b → a across instances');
    // A REST write on instance two reaches the client of instance one.
    const res = await fetch(`${two.url}/v1/dashboards/${dashboardId}/items`, {
      method: 'POST',
      headers: { authorization: `Bearer ${made.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'note', title: 'via two' }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    await eventually(() => a.doc.getMap('items').has(id), 20_000, 'REST write across instances');
    // The state document too: a server write on instance two reaches a client of instance one, and
    // a client's write there (read-only) reaches nobody.
    const stateA = connectClient(one.url, dashboardId, { token: made.secret, state: true });
    const stateB = connectClient(two.url, dashboardId, { token: made.secret, state: true });
    clients.push(stateA, stateB);
    await eventually(() => stateA.provider.isSynced && stateB.provider.isSynced, 10_000, 'state documents synced');
    stateB.doc.getMap('executions').set('forged', { status: 'succeeded' });
    await changeDocument(two.ctx, stateDocumentName(dashboardId), (doc) =>
      doc.getMap('executions').set('e1', { status: 'running' }),
    );
    await eventually(() => stateA.doc.getMap('executions').has('e1'), 20_000, 'a server write across instances');
    expect(stateA.doc.getMap('executions').has('forged')).toBe(false);

    // Both instances stop; a third, fresh one loads everything from Postgres.
    for (const client of [a, b, stateA, stateB]) client.destroy();
    for (const instance of instances.splice(0)) await instance.close();
    const third = await startTestApp(database.url);
    instances.push(third);
    const c = connectClient(third.url, dashboardId, { token: made.secret });
    clients.push(c);
    await eventually(() => c.provider.isSynced, 10_000, 'fresh instance synced');
    expect(c.doc.getMap('shared').toJSON()).toEqual({ 'from-a': 1, 'from-b': 2 });
    expect(c.doc.getMap('items').has(id)).toBe(true);
    const state = connectClient(third.url, dashboardId, { token: made.secret, state: true });
    clients.push(state);
    await eventually(() => state.provider.isSynced, 10_000, 'fresh state document synced');
    expect(state.doc.getMap('executions').toJSON()).toEqual({ e1: { status: 'running' } });
  });
});
