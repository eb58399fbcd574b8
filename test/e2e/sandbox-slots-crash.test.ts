import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxLedger } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';
import { createPlaneFixture, type PlaneFixture } from '../support/plane-fixture.ts';

/**
 * Steps queue for two sandbox slots while the server is killed with SIGKILL in the middle of handing
 * slots on. After the restart the queue goes on: every execution succeeds, each run key was started
 * once (the plane, its own process, keeps the ledger), and nothing is left waiting.
 */
let fixture: PlaneFixture;

beforeAll(async () => {
  fixture = await createPlaneFixture('slots', {
    BATON_SANDBOX_PROVISION_TIMEOUT_SECONDS: '3',
    BATON_SANDBOX_MAX_PER_WORKSPACE: '2',
  });
});
afterAll(() => fixture.close());

describe('the sandbox slot queue under SIGKILL', () => {
  it('starts every waiting step once after the server dies while handing slots on', async () => {
    const { api, db, workspaceId, dashboardId } = fixture;
    await fixture.startServer();
    expect(
      (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' }))
        .status,
    ).toBe(201);
    const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml: 'name: q\nsteps:\n  - { id: a, kind: agent, profile: coder, prompt: q, input: { duration: 300 } }\n',
    });
    expect(recipe.status).toBe(201);
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId });
      expect(started.status).toBe(201);
      ids.push(started.body.id ?? '');
    }
    const finished = async () =>
      Number(
        (
          await sql<{
            n: string;
          }>`select count(*) as n from sandbox_runs where status = 'succeeded'
            and execution_id = any(${ids}::uuid[])`.execute(db)
        ).rows[0]?.n ?? 0,
      );
    // Killed while the queue is busy: some steps have run, some are starting, the rest wait.
    await eventually(async () => ((await finished()) >= 4 ? true : undefined), 60_000, 'a few steps ran');
    await fixture.killServer();
    await fixture.startServer();
    for (const id of ids)
      await eventually(
        async () => ((await api('GET', `/v1/executions/${id}`)).body.status === 'succeeded' ? true : undefined),
        90_000,
        `execution ${id} succeeded`,
      );
    const started = (await sandboxLedger(fixture.plane.url)).map((r) => r.idempotencyKey);
    for (const id of ids)
      expect(
        started.filter((key) => key.startsWith(`${id}/`)),
        `runs of ${id}`,
      ).toEqual([`${id}/a/1`]);
    await eventually(
      async () =>
        Number((await sql<{ n: string }>`select count(*) as n from sandbox_slot_waiters`.execute(db)).rows[0]?.n) === 0
          ? true
          : undefined,
      10_000,
      'nothing left waiting',
    );
  });
});
