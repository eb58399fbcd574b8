import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxLedger } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';
import { createPlaneFixture, type PlaneFixture } from '../support/plane-fixture.ts';
import { startPatienceMs } from '../support/processes.ts';

/**
 * Executions with agent, wait and approval steps run while the server is killed with SIGKILL at
 * several points. After each restart they go on; in the end every execution succeeded, no attempt
 * was started twice (the ledger of the local execution plane, which runs as its own process and
 * outlives the server, shows each key started once), and a wait that fell due while the server was
 * down finished after the restart.
 */
let fixture: PlaneFixture;

// The agent steps' timeouts bound a run that never reports; generous, as a loaded machine relays a
// 150 ms run's callbacks late (a timed-out attempt is retried, and six of them fail the execution).
const tries = 'timeout: 10s, retry: { maxAttempts: 6, backoff: { initial: 100ms, factor: 1, max: 100ms } }';
const recipe = `
name: crashy
steps:
  - { id: plan, kind: agent, profile: coder, prompt: plan, input: { duration: 150 }, ${tries} }
  - { id: nap, kind: wait, for: 2s }
  - { id: gate, kind: approval, prompt: "go?" }
  - { id: build, kind: agent, profile: coder, prompt: build,
      input: { duration: 150, output: { built: true } }, ${tries} }
  - { id: tell, kind: notify, channel: dashboard, message: "built \${steps.build.output.built}" }
`;

beforeAll(async () => {
  fixture = await createPlaneFixture('crash');
});
afterAll(() => fixture.close());

// Five server starts in one test: its budget is a few start-up caps.
describe('the orchestrator under SIGKILL', { timeout: 6 * startPatienceMs }, () => {
  it(
    'finishes every execution correctly, starts no attempt ' + 'twice, and fires timers that fell due while down',
    async () => {
      const { api, db, workspaceId, dashboardId } = fixture;
      await fixture.startServer();
      expect(
        (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
      ).toBe(201);
      const recipeId = (await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: recipe })).body.id as string;
      const ids: string[] = [];
      for (let i = 0; i < 6; i++)
        ids.push((await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId })).body.id as string);

      // A person approves every gate as soon as it waits, whenever the server is up.
      let approving = true;
      const approver = (async () => {
        while (approving) {
          for (const id of ids) {
            try {
              const ex = await api('GET', `/v1/executions/${id}`);
              if (ex.body.steps?.gate?.status === 'waiting')
                await api('POST', `/v1/executions/${id}/steps/gate/approve`);
            } catch {
              // the server is down for a moment
            }
          }
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();

      // A kill while waits are pending, down for longer than the wait: the timer fires after the restart.
      await eventually(
        async () => {
          for (const id of ids)
            if ((await api('GET', `/v1/executions/${id}`)).body.steps?.nap?.status === 'waiting') return true;
          return undefined;
        },
        60_000,
        'an execution waiting in nap',
      );
      const waitingBefore: string[] = [];
      for (const id of ids)
        if ((await api('GET', `/v1/executions/${id}`)).body.steps?.nap?.status === 'waiting') waitingBefore.push(id);
      expect(waitingBefore.length).toBeGreaterThan(0);
      await fixture.killServer();
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const restartedAt = Date.now();
      await fixture.startServer();

      // More executions, and kills at different points of their work.
      for (let i = 0; i < 6; i++)
        ids.push((await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId })).body.id as string);
      for (const pause of [250, 700, 400]) {
        await new Promise((resolve) => setTimeout(resolve, pause));
        await fixture.killServer();
        await fixture.startServer();
      }

      await eventually(
        async () => {
          for (const id of ids)
            if ((await api('GET', `/v1/executions/${id}`)).body.status !== 'succeeded') return undefined;
          return true;
        },
        180_000,
        'every execution succeeded',
      ).catch(async (error: unknown) => {
        for (const id of ids) {
          const execution = (await api('GET', `/v1/executions/${id}`)).body;
          console.log('on failure:', id, JSON.stringify(execution).slice(0, 1500));
          // When each attempt was dispatched, timed out or reported, for the executions that did not succeed.
          if (execution.status !== 'succeeded')
            console.log(
              'on failure, history of',
              id,
              JSON.stringify((await api('GET', `/v1/executions/${id}/events?limit=200`)).body).slice(0, 6000),
            );
        }
        const sessionColumns = [
          'id',
          'execution_id',
          'status',
          'epoch',
          'epoch_started_at',
          'ready_at',
          'ended_at',
          'ended_reason',
        ] as const;
        console.log(
          'on failure, sessions',
          JSON.stringify(await db.selectFrom('sessions').select(sessionColumns).execute()).slice(0, 6000),
        );
        console.log(
          'on failure, runs',
          JSON.stringify(
            await db
              .selectFrom('sandbox_runs')
              .select(['run_key', 'status', 'epoch', 'error', 'created_at', 'started_at', 'finished_at'])
              .execute(),
          ),
        );
        console.log('on failure, server', fixture.server?.output().slice(-5000));
        // The plane's warnings say whether a callback was refused (a 4xx is not sent again) or still retried.
        console.log('on failure, plane', fixture.plane.output().slice(-5000));
        throw error;
      });
      approving = false;
      await approver;

      for (const id of ids) {
        const ex = (await api('GET', `/v1/executions/${id}`)).body;
        expect(ex.steps?.build?.status).toBe('succeeded');
        expect(ex.steps?.tell?.status).toBe('succeeded');
      }
      for (const id of waitingBefore) {
        const nap = (await api('GET', `/v1/executions/${id}`)).body.steps?.nap;
        expect(nap?.finishedAt ?? 0).toBeGreaterThanOrEqual(restartedAt - 1_000);
      }
      // The ledger: every key started once, across all restarts of the server (the plane refuses a
      // second start of a key; `requests` counts how often the server asked).
      const runs = await sandboxLedger(fixture.plane.url);
      const keys = runs.map((r) => r.idempotencyKey).filter((k) => ids.some((id) => k.startsWith(id)));
      expect(keys.length).toBeGreaterThanOrEqual(ids.length * 2);
      expect(new Set(keys).size).toBe(keys.length);
      // And the server's own record agrees: no key was dispatched for two different sandboxes.
      const dispatched = await db.selectFrom('sandbox_runs').select('run_key').execute();
      expect(new Set(dispatched.map((r) => r.run_key)).size).toBe(dispatched.length);
    },
  );
});
