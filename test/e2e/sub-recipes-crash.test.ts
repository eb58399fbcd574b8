import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { createPlaneFixture, type PlaneFixture } from '../support/plane-fixture.ts';

/**
 * Parents whose recipe steps start child executions run while the server is SIGKILLed, again and
 * again, while their steps start and run children, and once kept down for longer than the children's
 * waits. After the restarts every parent finishes, and Postgres holds exactly one child per step
 * attempt: the one the parent's step names.
 */
let fixture: PlaneFixture;

const child = `
name: kid
inputs: { n: { type: number } }
steps:
  - { id: nap, kind: wait, for: 300ms }
  - { id: tell, kind: notify, channel: dashboard, message: "kid \${string(inputs.n)}" }
`;
const parent = `
name: parent
steps:
  - { id: one, kind: recipe, recipe: kid, inputs: { n: 1 } }
  - { id: two, kind: recipe, recipe: kid, inputs: { n: 2 } }
  - { id: three, kind: recipe, recipe: kid, inputs: { n: 3 } }
`;

beforeAll(async () => {
  fixture = await createPlaneFixture('subrecipes');
});
afterAll(() => fixture.close());

describe('sub-recipes under SIGKILL', () => {
  it('finishes every parent with exactly one child per step attempt', async () => {
    const { api, db, workspaceId, dashboardId } = fixture;
    await fixture.startServer();
    expect((await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: child })).status).toBe(201);
    const made = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: parent });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const recipeId = made.body.id as string;
    const ids: string[] = [];
    const startSome = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const started = await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId });
        expect(started.status, JSON.stringify(started.body)).toBe(201);
        ids.push(started.body.id as string);
      }
    };
    await startSome(8);

    // Kills while children are being started and are running.
    for (const pause of [120, 350, 200]) {
      await new Promise((resolve) => setTimeout(resolve, pause));
      await fixture.killServer();
      await fixture.startServer();
      await startSome(2);
    }
    // Kept down for longer than a child's wait, then restarted.
    await new Promise((resolve) => setTimeout(resolve, 150));
    await fixture.killServer();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await fixture.startServer();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await fixture.killServer();
    await fixture.startServer();

    await eventually(
      async () => {
        for (const id of ids)
          if ((await api('GET', `/v1/executions/${id}`)).body.status !== 'succeeded') return undefined;
        return true;
      },
      150_000,
      'every parent succeeded',
    ).catch(async (error: unknown) => {
      for (const id of ids)
        console.log('on failure:', id, JSON.stringify((await api('GET', `/v1/executions/${id}`)).body).slice(0, 2000));
      console.log('on failure, server', fixture.server?.output().slice(-5000));
      throw error;
    });

    for (const id of ids) {
      const ex = (await api('GET', `/v1/executions/${id}`)).body as {
        steps: Record<string, { attempt: number; childExecutionId?: string; output?: { executionId?: string } }>;
      };
      // The children as Postgres has them, each with the parent step attempt it says started it.
      const { rows } = await sql<{ id: string; status: string; attempt_of: string }>`
        select id, status, (state->'parent'->>'stepId') || '/' || (state->'parent'->>'attempt') as attempt_of
        from executions where origin = 'parent' and origin_id = ${id} order by 3`.execute(db);
      const attempts = ['one', 'two', 'three']
        .flatMap((stepId) => Array.from({ length: ex.steps[stepId]?.attempt ?? 0 }, (_, i) => `${stepId}/${i + 1}`))
        .sort();
      // Exactly one child per attempt (no attempt failed, so one each), each the one its step names.
      expect(attempts).toEqual(['one/1', 'three/1', 'two/1']);
      expect(
        rows.map((r) => r.attempt_of),
        `children of ${id}`,
      ).toEqual(attempts);
      for (const stepId of ['one', 'two', 'three']) {
        const step = ex.steps[stepId];
        const row = rows.find((r) => r.attempt_of === `${stepId}/${step?.attempt}`);
        expect(step?.childExecutionId).toBe(row?.id);
        expect(step?.output?.executionId).toBe(row?.id);
        expect(row?.status).toBe('succeeded');
      }
    }
  });

  it(
    'starts no second child when a kill lands after the ' + 'child committed but before its start job was acknowledged',
    async () => {
      const { api, db, workspaceId, dashboardId } = fixture;
      if (fixture.server === undefined) await fixture.startServer();
      expect(
        (
          await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
            yaml: 'name: held-kid\nsteps:\n  - { id: hold, kind: wait, event: { name: go } }\n',
          })
        ).status,
      ).toBe(201);
      const made = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: holder\nsteps:\n  - { id: sub, kind: recipe, recipe: held-kid }\n',
      });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const recipeId = made.body.id as string;

      // Hold a row lock on a start job the server is working on: the child commits, but pg-boss cannot
      // record the job as done. Killed then, the server leaves the job active; pg-boss delivers it again.
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      const caught = new Promise<{ parentId: string; jobId: string }>((resolve, reject) => {
        db.transaction()
          .execute(async (trx) => {
            for (let tries = 0; tries < 30; tries++) {
              const started = await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId });
              const parentId = started.body.id as string;
              for (const until = Date.now() + 3_000; Date.now() < until;) {
                const { rows } = await sql<{
                  id: string;
                }>`select id from pgboss.job where name = 'orchestrator.start_child' and state = 'active'
                and data->>'executionId' = ${parentId} for update skip locked`.execute(trx);
                if (rows[0] !== undefined) {
                  resolve({ parentId, jobId: rows[0].id });
                  await released;
                  return;
                }
                const { rows: done } = await sql<{
                  n: number;
                }>`select count(*)::int as n from executions where origin_id = ${parentId}`.execute(trx);
                if ((done[0]?.n ?? 0) > 0) break; // too late for this one: its job is done; try another
              }
            }
            throw new Error('never caught a start job while it was active');
          })
          .catch(reject);
      });
      const { parentId, jobId } = await caught;
      const childrenOf = async () =>
        (
          await sql<{
            id: string;
          }>`select id from executions where origin = 'parent' and origin_id = ${parentId}`.execute(db)
        ).rows.map((r) => r.id);
      await eventually(
        async () => ((await childrenOf()).length === 1 ? true : undefined),
        20_000,
        'the child committed',
      );
      await fixture.killServer();
      // Postgres does not notice a dead client while its statement waits for a lock: end the killed
      // server's job-queue connections, or their blocked completion would go through once released.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database()
      and application_name = 'baton-jobs'`.execute(db);
      release();
      await fixture.startServer();
      // pg-boss fails the job the dead server held and delivers it again; it completes this time.
      await eventually(
        async () => {
          const { rows } = await sql<{ state: string }>`select state from pgboss.job where id = ${jobId}`.execute(db);
          return rows[0]?.state === 'completed' ? true : undefined;
        },
        120_000,
        'the start job delivered again and done',
      );
      const kids = await childrenOf();
      expect(kids).toHaveLength(1);
      expect((await api('POST', `/v1/executions/${kids[0]}/events`, { name: 'go' })).status).toBe(200);
      await eventually(
        async () => ((await api('GET', `/v1/executions/${parentId}`)).body.status === 'succeeded' ? true : undefined),
        30_000,
        'the parent succeeded',
      );
      expect(await childrenOf()).toHaveLength(1);
    },
  );
});
