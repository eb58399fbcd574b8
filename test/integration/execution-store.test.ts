import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/postgres/database.ts';
import { createExecutionStore } from '../../src/adapters/postgres/execution-store.ts';
import { createUnitOfWork } from '../../src/adapters/postgres/unit-of-work.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { initialState } from '../../src/domain/orchestrator/decide.ts';
import type { ExecutionState } from '../../src/domain/orchestrator/execution.ts';
import type { ExecutionChange } from '../../src/ports/executions.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

let database: TestDatabase;
let baton: TestApp;
let db: Database;
let owner: { workspaceId: string; dashboardId: string; recipeId: string };

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url);
  db = baton.db;
  const made = await bootstrapToken(baton.ctx, { email: 'store@example.com', workspaceName: 'Store' });
  const workspaceId = made.workspace?.id ?? '';
  const dashboard = await createDashboard(
    baton.ctx,
    sessionPrincipal(made.user.id),
    workspaceId,
    { name: 'Board' },
    'setup',
  );
  const recipe = await callApi(baton.url, 'POST', `/v1/workspaces/${workspaceId}/recipes`, made.secret, {
    yaml: 'name: r\nsteps:\n  - { id: gate, kind: approval, prompt: ok }\n',
  });
  owner = { workspaceId, dashboardId: dashboard.id, recipeId: recipe.body.id };
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
});

/** A change that moves an execution from `state` to its next version, with one job. */
const next = (state: ExecutionState, n: number): ExecutionChange => ({
  id: state.id,
  expectedVersion: state.version,
  state: { ...state, version: state.version + 1, inputs: { n } },
  event: { type: 'event.received', name: 'n', payload: { n }, at: Date.now(), actor: { kind: 'system' } },
  actor: { kind: 'system' },
  jobs: [{ topic: 'store-test', data: { n } }],
});

describe('the execution store', () => {
  it(
    'group-commits changes made together: each execution ' +
      'advances once per version, with its history entry and jobs',
    async () => {
      const store = createExecutionStore(db);
      const unitOfWork = createUnitOfWork(db);
      const states = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const state = initialState({
            id: crypto.randomUUID(),
            recipeId: owner.recipeId,
            recipeVersion: 1,
            startedAt: 0,
          });
          await unitOfWork.run((tx) => store.create({ id: state.id, ...owner, state, createdBy: null }, tx));
          return state;
        }),
      );
      // Twenty executions change in the same moment; one of them twice from the same version.
      const [first] = states;
      if (first === undefined) throw new Error('no execution');
      const results = await Promise.all([
        ...states.map((s, n) => store.save(next(s, n))),
        store.save(next(first, 999)),
      ]);
      expect(results.slice(1, 20).every((ok) => ok)).toBe(true);
      // The same version cannot be taken twice: exactly one of the first execution's two changes won.
      expect([results[0], results[20]].filter((ok) => ok)).toEqual([true]);
      const winner = results[0] === true ? 0 : 999;
      for (const [n, state] of states.entries())
        expect((await store.get(state.id))?.state).toMatchObject({ version: 1, inputs: { n: n === 0 ? winner : n } });
      const events = await db
        .selectFrom('execution_events')
        .select(['execution_id', 'seq'])
        .where(
          'execution_id',
          'in',
          states.map((s) => s.id),
        )
        .execute();
      expect(events).toHaveLength(20);
      const jobs = await db.selectFrom('job_outbox').select('data').where('topic', '=', 'store-test').execute();
      expect(jobs.map((j) => (j.data as { n: number }).n).sort((a, b) => a - b)).toEqual(
        [...states.keys()]
          .slice(1)
          .concat(winner)
          .sort((a, b) => a - b),
      );
      // A stale change later is refused too, and writes nothing.
      expect(await store.save(next(first, 1000))).toBe(false);
      expect(
        await db.selectFrom('execution_events').select('seq').where('execution_id', '=', first.id).execute(),
      ).toHaveLength(1);
    },
  );
});
