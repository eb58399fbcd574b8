import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { createLiveConnectionStore } from '../../src/adapters/postgres/live-connection-store.ts';
import type { LiveConnections } from '../../src/ports/live-connections.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { silentLogger } from '../support/silent-logger.ts';

// The registry the Worker reads to find which dashboards' objects an access change concerns.
let database: TestDatabase;
let db: Database;
let registry: LiveConnections;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  registry = createLiveConnectionStore(db);
});
afterAll(async () => {
  await db.destroy();
  await database.drop();
});

const id = () => crypto.randomUUID();

describe('the live-connection registry', () => {
  it(
    'names the dashboards with an open connection of ' + 'the user, token or session an access change is about',
    async () => {
      const [boardA, boardB, boardC] = [id(), id(), id()];
      const [ada, bob] = [id(), id()];
      const [adaToken, adaSession] = [id(), id()];
      await registry.opened({
        dashboardId: boardA,
        connectionId: 'a1',
        userId: ada,
        tokenId: adaToken,
        sessionId: null,
      });
      await registry.opened({
        dashboardId: boardB,
        connectionId: 'b1',
        userId: ada,
        tokenId: null,
        sessionId: adaSession,
      });
      await registry.opened({
        dashboardId: boardB,
        connectionId: 'b2',
        userId: ada,
        tokenId: null,
        sessionId: adaSession,
      });
      await registry.opened({ dashboardId: boardC, connectionId: 'c1', userId: bob, tokenId: null, sessionId: null });
      expect((await registry.dashboardsConcerned({ kind: 'user', userId: ada })).sort()).toEqual(
        [boardA, boardB].sort(),
      );
      expect(await registry.dashboardsConcerned({ kind: 'token', tokenId: adaToken })).toEqual([boardA]);
      expect(await registry.dashboardsConcerned({ kind: 'session', sessionId: adaSession })).toEqual([boardB]);
      expect(await registry.dashboardsConcerned({ kind: 'dashboard', dashboardId: boardC })).toEqual([boardC]);
      // Nobody connected: nothing to tell (and no object woken for nothing).
      expect(await registry.dashboardsConcerned({ kind: 'dashboard', dashboardId: id() })).toEqual([]);
      expect(await registry.dashboardsConcerned({ kind: 'user', userId: 'not-a-uuid' })).toEqual([]);
    },
  );

  it('forgets closed connections, and all of a dashboard at a reset; recording one twice is harmless', async () => {
    const [board, other, user] = [id(), id(), id()];
    await registry.opened({ dashboardId: board, connectionId: 'x', userId: user, tokenId: null, sessionId: null });
    await registry.opened({ dashboardId: board, connectionId: 'x', userId: user, tokenId: null, sessionId: null });
    await registry.opened({ dashboardId: board, connectionId: 'y', userId: user, tokenId: null, sessionId: null });
    await registry.opened({ dashboardId: other, connectionId: 'z', userId: user, tokenId: null, sessionId: null });
    await registry.closed(board, 'x');
    expect((await registry.dashboardsConcerned({ kind: 'user', userId: user })).sort()).toEqual([board, other].sort());
    await registry.reset(board);
    expect(await registry.dashboardsConcerned({ kind: 'user', userId: user })).toEqual([other]);
    await registry.closed(other, 'z');
    expect(await registry.dashboardsConcerned({ kind: 'user', userId: user })).toEqual([]);
  });
});
