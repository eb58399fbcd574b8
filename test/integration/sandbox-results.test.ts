import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { callApi, sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient } from '../support/realtime-client.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * What a sandbox reported reaches Baton whole even when its callbacks never do (issue 18, defects 1,
 * 2 and 4), and a run the plane refuses fails its step at once with the plane's message (defect 3).
 * The sandboxes' callbacks go through a relay that can drop run events (answering 503, as Baton does
 * when it cannot store them) while heartbeats pass: Baton only learns of those runs by fetching them.
 */
let database: TestDatabase;
let baton: TestApp;
let relay: Server;
let token: string;
let workspaceId: string;
let dashboardId: string;
/** While true, the relay answers 503 to every callback with a run event. */
let dropRunEvents = false;
let dropped = 0;

const api = (method: string, path: string, body?: unknown) => callApi(baton.url, method, path, token, body);

beforeAll(async () => {
  database = await createTestDatabase();
  let target = '';
  relay = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (dropRunEvents && body.includes('"runKey"')) {
          dropped += 1;
          return res.writeHead(503).end();
        }
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(req.headers))
          if (typeof value === 'string' && (name.startsWith('x-baton-') || name === 'content-type'))
            headers[name] = value;
        try {
          const answer = await fetch(`${target}${req.url ?? '/'}`, { method: req.method ?? 'POST', headers, body });
          res.writeHead(answer.status).end(await answer.text());
        } catch {
          res.writeHead(502).end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
  // Heartbeats every second: a quiet run is fetched after two leases (6 s).
  baton = await startTestApp(database.url, {
    BATON_PUBLIC_URL: relayUrl,
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
    BATON_SANDBOX_HEARTBEAT_SECONDS: '1',
    BATON_REAPER_INTERVAL_SECONDS: '1',
  });
  target = baton.url;
  const made = await bootstrapToken(baton.ctx, { email: 'results@example.com', workspaceName: 'Results' });
  token = made.secret;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (
    await createDashboard(baton.ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Results' }, 'setup')
  ).id;
  expect(
    (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
  ).toBe(201);
});
afterAll(async () => {
  await baton.close();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
  await database.drop();
});

async function start(steps: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: `name: r\nsteps:\n${steps}` });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, { dashboardId });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}

type Step = { status: string; attempt: number; output: unknown; error: string | null };
const settled = async (id: string, timeoutMs = 30_000) =>
  await eventually(
    async () => {
      const body = (await api('GET', `/v1/executions/${id}`)).body as { status: string; steps: Record<string, Step> };
      return ['succeeded', 'failed', 'cancelled'].includes(body.status) ? body : undefined;
    },
    timeoutMs,
    `execution ${id} to finish`,
  );

describe('results of runs whose callbacks never arrive', () => {
  it(
    'are fetched from the sandbox: the output, the real error ' +
      'and its retryability, progress and artifacts, in order, once',
    async () => {
      dropRunEvents = true;
      try {
        const ok = await start(
          `  - { id: a, kind: agent, profile: coder, prompt: work, input: { duration: ` +
            `200, progress: [{ message: "cloned", percent: 40 }], artifacts: [{ kind: link, ` +
            `title: "The PR", url: "https://example.com/pr/7" }], output: { pr: 7 } } }\n`,
        );
        const bad = await start(
          `  - { id: a, kind: agent, profile: coder, prompt: deploy, retry: { ` +
            `maxAttempts: 3, backoff: { initial: 10ms, factor: 1, max: 10ms } ` +
            `}, input: { outcome: fail, error: "the repository is archived" } }\n`,
        );
        const [okDone, badDone] = await Promise.all([settled(ok), settled(bad)]);
        expect(dropped).toBeGreaterThan(0);

        // Defect 1: the output the sandbox had, not null.
        expect(okDone).toMatchObject({
          status: 'succeeded',
          steps: { a: { status: 'succeeded', attempt: 1, output: { pr: 7 } } },
        });
        // Defect 2: the real error, and a non-retryable failure is not run again.
        expect(badDone).toMatchObject({ status: 'failed', steps: { a: { status: 'failed', attempt: 1 } } });
        expect(badDone.steps.a?.error).toContain('the repository is archived');
        const ledger = await sandboxLedger(baton.sandboxUrl);
        expect(ledger.filter((r) => r.idempotencyKey.startsWith(bad)).map((r) => r.idempotencyKey)).toEqual([
          `${bad}/a/1`,
        ]);

        // Defect 4: progress and artifacts reported while the callbacks failed are stored, each event once, in order.
        const events = await baton.db
          .selectFrom('sandbox_events')
          .select(['type', 'seq'])
          .where('run_key', '=', `${ok}/a/1`)
          .orderBy('seq')
          .execute();
        expect(events).toEqual([
          { type: 'run.started', seq: 1 },
          { type: 'run.progress', seq: 2 },
          { type: 'run.artifact', seq: 3 },
          { type: 'run.completed', seq: 4 },
        ]);
        const run = await eventually(
          async () => {
            const row = await baton.db
              .selectFrom('sandbox_runs')
              .selectAll()
              .where('run_key', '=', `${ok}/a/1`)
              .executeTakeFirst();
            return row?.status === 'succeeded' ? row : undefined;
          },
          20_000,
          'the run recorded as ended',
        );
        expect(run.progress).toMatchObject({ message: 'cloned', percent: 40 });
        expect(run.output).toEqual({ pr: 7 });
        const artifacts = await baton.db.selectFrom('artifacts').selectAll().where('execution_id', '=', ok).execute();
        expect(artifacts).toEqual([
          expect.objectContaining({ kind: 'link', title: 'The PR', url: 'https://example.com/pr/7' }),
        ]);

        // Each result was applied once, whichever way it came (a fetch, a fetch before a loss, a callback).
        const history = async (id: string) =>
          (
            (await api('GET', `/v1/executions/${id}/events`)).body as {
              events: { event: { type: string; stepId?: string } }[];
            }
          ).events.map((e) => e.event);
        expect((await history(ok)).filter((e) => e.stepId === 'a').map((e) => e.type)).toEqual(['step.completed']);
        expect((await history(bad)).filter((e) => e.stepId === 'a').map((e) => e.type)).toEqual(['step.failed']);
        expect(
          await baton.db.selectFrom('sandbox_events').select('id').where('run_key', '=', `${ok}/a/1`).execute(),
        ).toHaveLength(4);
      } finally {
        dropRunEvents = false;
      }
    },
  );
});

describe('a run the execution plane refuses', () => {
  it(
    "fails its step at once with the plane's message: " + 'in the history, the API and the dashboard document',
    async () => {
      const browser = connectClient(baton.url, dashboardId, { token, state: true });
      try {
        await eventually(() => browser.provider.isSynced, 20_000, 'synced');
        // An artifact kind the contract does not allow: the plane answers 400 naming the field.
        const id = await start(
          `  - { id: a, kind: agent, profile: coder, prompt: work, retry: { maxAttempts: 3, backoff: { ` +
            `initial: 10ms, factor: 1, max: 10ms } }, input: { artifacts: [{ kind: video, title: "A film" }] } }\n`,
        );
        // Well within one lease: before, the step showed "running" and failed only after minutes.
        const done = await settled(id, 10_000);
        expect(done).toMatchObject({ status: 'failed', steps: { a: { status: 'failed', attempt: 1 } } });
        const error = done.steps.a?.error ?? '';
        expect(error).toMatch(/refused the run \(400\).*inputs\.artifacts/);

        const history = (await api('GET', `/v1/executions/${id}/events`)).body as {
          events: { event: Record<string, unknown> }[];
        };
        expect(history.events.map((e) => e.event)).toContainEqual(
          expect.objectContaining({ type: 'step.failed', stepId: 'a', error, retryable: false }),
        );
        const shown = await eventually(
          () => {
            const entry = browser.doc.getMap('executions').get(id) as
              { status: string; steps: Record<string, { error: string | null }> } | undefined;
            return entry?.status === 'failed' ? entry : undefined;
          },
          20_000,
          'the document shows the failure',
        );
        expect(shown.steps.a?.error).toBe(error);
        const runs = await baton.db
          .selectFrom('sandbox_runs')
          .select(['status', 'error'])
          .where('execution_id', '=', id)
          .execute();
        expect(runs).toEqual([{ status: 'failed', error }]);
      } finally {
        browser.destroy();
      }
    },
  );
});

describe('a sandbox that crashes', () => {
  it(
    'is lost as soon as its provider says it is gone, not a lease ' +
      'later; a step crashing every sandbox fails after its fourth loss',
    async () => {
      const id = await start(
        `  - { id: a, kind: agent, profile: coder, prompt: crashy, input: { duration: 100, outcome: crash } }\n`,
      );
      const done = await settled(id, 40_000);
      expect(done).toMatchObject({ status: 'failed', steps: { a: { status: 'failed', attempt: 4 } } });
      const session = await baton.db
        .selectFrom('sessions')
        .selectAll()
        .where('execution_id', '=', id)
        .executeTakeFirstOrThrow();
      // Found by asking the provider about a sandbox late with its heartbeat, not by the lease running out.
      expect(session).toMatchObject({ status: 'lost', epoch: 4, ended_reason: 'its sandbox is gone at the provider' });
      const runs = await baton.db
        .selectFrom('sandbox_runs')
        .select(['status', 'error'])
        .where('execution_id', '=', id)
        .orderBy('attempt')
        .execute();
      expect(runs.map((r) => r.status)).toEqual(['lost', 'lost', 'lost', 'lost']);
    },
  );
});
