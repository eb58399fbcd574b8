import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// The realtime limits follow the configuration (the shared suite checks the defaults on both
// runtimes): the message limit defaults to BATON_BODY_LIMIT, the awareness limit is its own variable.
let database: TestDatabase;
let baton: TestApp;
let token = '';
let userId = '';
let dashboardId = '';
const clients: RealtimeClient[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_BODY_LIMIT: '65536', BATON_REALTIME_MAX_AWARENESS_BYTES: '1024' });
  const owner = await bootstrapToken(baton.ctx, { email: 'limits@example.com', workspaceName: 'Limits' });
  token = owner.secret;
  userId = owner.user.id;
  dashboardId = (
    await createDashboard(
      baton.ctx,
      sessionPrincipal(owner.user.id),
      owner.workspace?.id ?? '',
      { name: 'Limits' },
      'setup',
    )
  ).id;
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await baton?.close();
  await database?.drop();
});

const connect = () => {
  const made = connectClient(baton.url, dashboardId, { token });
  clients.push(made);
  return made;
};
const presence = async () =>
  (
    (await callApi(baton.url, 'GET', `/v1/dashboards/${dashboardId}/presence`, token)).body.viewers as Array<{
      userId: string;
      state: Record<string, unknown>;
    }>
  ).find((v) => v.userId === userId)?.state;

describe('configured realtime limits', () => {
  it(
    'keeps a client whose presence state is over ' + 'BATON_REALTIME_MAX_AWARENESS_BYTES but drops that state',
    async () => {
      const client = connect();
      await eventually(() => client.provider.isSynced, 10_000, 'synced');
      client.provider.setAwarenessField('note', 'z'.repeat(2_000));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await presence())?.note).toBeUndefined();
      client.provider.setAwarenessField('note', 'z'.repeat(500));
      await eventually(
        async () => (await presence())?.note === 'z'.repeat(500),
        20_000,
        'a state under the limit is listed',
      );
      expect(client.closes()).toEqual([]);
    },
  );

  it('closes a connection whose message is over the limit, which defaults to BATON_BODY_LIMIT', async () => {
    const client = connect();
    await eventually(() => client.provider.isSynced, 10_000, 'synced');
    client.provider.setAwarenessField('note', 'z'.repeat(70_000));
    await eventually(() => client.closes().some((c) => c.code === 1009), 20_000, 'closed as too big');
    expect((await presence())?.note).not.toBe('z'.repeat(70_000));
  });
});
