import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createDatabase, type Database } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { signWebhook } from '../../src/app/triggers/hook-signature.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { unavailableRealtime } from '../../src/main/cloudflare/unavailable-realtime.ts';
import { callApi, sandboxLedger } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startSandboxProcess, type Spawned } from '../support/processes.ts';
import { connectDashboard } from '../support/realtime-client.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { buildWorkerBundle, startBatonWorker, startWorker, type WorkerdWorker } from '../support/workerd.ts';

// The orchestrator in the Baton Worker as it is deployed: the bundle `npm run build:cloudflare`
// writes, in workerd with wrangler.toml's date and flags, Postgres through Hyperdrive, the job queue
// as a Queues producer and consumer of the same Worker, and the local execution plane as a process
// of its own (the `http` sandbox provider): its callbacks reach the Worker over HTTP. No Node Baton
// runs: every job is worked by the Worker's queue() entry, every cron tick by its scheduled().
let database: TestDatabase;
let db: Database;
let plane: Spawned & { url: string };
let planeDir: string;
let outDir: string;
let worker: WorkerdWorker;
let workerUrl: string;
let token: string;
let userId: string;
let workspaceId: string;
let dashboardId: string;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), 'baton-orchestrator-worker-'));
  planeDir = await mkdtemp(join(tmpdir(), 'baton-plane-'));
  const built = buildWorkerBundle(outDir);
  database = await createTestDatabase();
  db = createDatabase({ url: database.url, poolMax: 2, logger: silentLogger });
  plane = await startSandboxProcess(await freePort(), planeDir);
  await built;
  // The plane calls back to BATON_PUBLIC_URL, so the Worker's port is chosen before it starts.
  const port = await freePort();
  workerUrl = `http://127.0.0.1:${port}`;
  worker = await startBatonWorker({
    bundle: join(outDir, 'worker.js'),
    databaseUrl: database.url,
    publicUrl: workerUrl,
    port,
    consumeJobs: true,
    // Webhook steps may reach the test's receiver on loopback, and nothing else that is not public.
    env: {
      LOG_LEVEL: 'error',
      BATON_SANDBOX_PROVIDER: 'http',
      BATON_SANDBOX_URL: plane.url,
      BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
      BATON_EGRESS_ALLOW: '127.0.0.1',
    },
  });
  // Users, workspaces and dashboards are arranged in the database directly (no Node Baton runs).
  const ctx = createPostgresAppContext(
    db,
    resolveConfig({ BATON_ENV: 'test', DATABASE_URL: database.url, BATON_DEV_IDP: 'false' }),
    { realtime: unavailableRealtime },
  );
  const made = await bootstrapToken(ctx, { email: 'edge@example.com', workspaceName: 'Edge' });
  token = made.secret;
  userId = made.user.id;
  workspaceId = made.workspace?.id ?? '';
  dashboardId = (await createDashboard(ctx, sessionPrincipal(made.user.id), workspaceId, { name: 'Edge' }, 'setup')).id;
  expect(
    (await api('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'm' })).status,
  ).toBe(201);
});

afterAll(async () => {
  await worker?.dispose();
  if (plane !== undefined && plane.child.exitCode === null) plane.child.kill('SIGKILL');
  await db?.destroy();
  await database?.drop();
  for (const dir of [outDir, planeDir]) if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

const api = (method: string, path: string, body?: unknown) => callApi(workerUrl, method, path, token, body);
const recipe = async (yaml: string): Promise<string> => {
  const res = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};
type Execution = { id: string; status: string; steps: Record<string, { status: string; output?: unknown }> };
const execution = async (id: string): Promise<Execution> =>
  (await api('GET', `/v1/executions/${id}`)).body as Execution;
const stepIs = (id: string, stepId: string, status: string, timeoutMs = 20_000) =>
  eventually(
    async () => ((await execution(id)).steps[stepId]?.status === status ? true : undefined),
    timeoutMs,
    `${stepId} ${status}`,
  );

/** Runs the Worker's scheduled() entry, as a Cron Trigger would (Miniflare's handle on the Worker). */
async function cronTick(): Promise<void> {
  // Miniflare's types for the Worker handle need @cloudflare/workers-types; this is its scheduled().
  const handle = (await worker.miniflare.getWorker()) as unknown as {
    scheduled(options: { cron: string }): Promise<{ outcome: string }>;
  };
  expect((await handle.scheduled({ cron: '* * * * *' })).outcome).toBe('ok');
}

describe('the orchestrator in the Baton Worker', () => {
  it('runs two agent steps and an approval to completion, each run started once on the plane', async () => {
    const recipeId = await recipe(
      'name: edge\nsteps:\n  - { id: plan, kind: agent, profile: coder, prompt: "Plan", input: { ' +
        'output: { summary: "planned" } } }\n  - { id: gate, kind: approval, prompt: "Ship ' +
        '${steps.plan.output.summary}?" }\n  - { id: ship, kind: agent, profile: coder, prompt: "Ship it" }\n',
    );
    const started = await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id as string;
    await stepIs(id, 'gate', 'waiting');
    expect((await execution(id)).steps.plan).toMatchObject({ status: 'succeeded', output: { summary: 'planned' } });
    expect((await api('POST', `/v1/executions/${id}/steps/gate/approve`, { comment: 'go' })).status).toBe(200);
    const done = await eventually(
      async () => {
        const ex = await execution(id);
        return ex.status === 'succeeded' ? ex : undefined;
      },
      30_000,
      'the execution succeeded',
    );
    expect((done.steps.ship?.output as { summary: string }).summary).toBe('coder ran: Ship it');
    const ledger = await sandboxLedger(plane.url);
    expect(ledger.filter((r) => r.idempotencyKey.startsWith(id)).map((r) => [r.idempotencyKey, r.requests])).toEqual([
      [`${id}/plan/1`, 1],
      [`${id}/ship/1`, 1],
    ]);
  });

  it(
    'runs a recipe step: its child starts, runs an agent ' + 'step and gives the parent its output (sub-recipes)',
    async () => {
      await recipe(
        'name: edge-child\ninputs: { what: { type: string } }\nsteps:\n  - { id: make, kind: agent, ' +
          'profile: coder, prompt: "Make ${inputs.what}", input: { output: { made: "${inputs.what}" } } }\n',
      );
      const recipeId = await recipe(
        'name: edge-parent\nsteps:\n  - { id: sub, kind: recipe, recipe: edge-child, inputs: { what: "a widget" } }\n',
      );
      const started = await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId });
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body.id as string;
      const done = await eventually(
        async () => {
          const ex = await execution(id);
          return ex.status === 'succeeded' ? ex : undefined;
        },
        30_000,
        'the parent succeeded',
      );
      const output = done.steps.sub?.output as { executionId: string; outputs: Record<string, unknown> };
      expect(output.outputs).toEqual({ make: { made: 'a widget' } });
      const child = await execution(output.executionId);
      expect(child).toMatchObject({ status: 'succeeded', parent: { executionId: id, stepId: 'sub', attempt: 1 } });
    },
  );

  it("takes an approval decided in the dashboard's document, through the Durable Object and the queue", async () => {
    const recipeId = await recipe(
      'name: doc-gate\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship?" ' +
        '}\n  - { id: ship, kind: agent, profile: coder, prompt: "Ship it" }\n',
    );
    const started = await api('POST', `/v1/recipes/${recipeId}/executions`, { dashboardId });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id as string;
    await stepIs(id, 'gate', 'waiting');
    // Both documents over one socket to the dashboard's object.
    const browser = connectDashboard(workerUrl, dashboardId, { token });
    try {
      // The execution's mirror wrote the approval into the state document through the object.
      const approval = await eventually(
        () => browser.state.doc.getMap<Y.Map<unknown>>('approvals').get(`${id}:gate`),
        10_000,
        'the approval in the state document',
      );
      expect(approval.get('status')).toBe('waiting');
      expect(browser.state.scope()).toBe('readonly');
      // The person decides in the dashboard document: `decisions` → approval key → their id.
      const entries = new Y.Map<unknown>();
      entries.set(userId, { approved: true, comment: 'from the dashboard' });
      browser.dashboard.doc.getMap<Y.Map<unknown>>('decisions').set(`${id}:gate`, entries);
      const done = await eventually(
        async () => {
          const ex = await execution(id);
          return ex.status === 'succeeded' ? ex : undefined;
        },
        30_000,
        'the execution succeeded',
      );
      expect(done.steps.ship?.status).toBe('succeeded');
      // Decided once, by the person who wrote it.
      const events = (
        (await api('GET', `/v1/executions/${id}/events?limit=50`)).body.events as Array<{
          event: { type: string; actor?: unknown; comment?: string };
        }>
      ).map((e) => e.event);
      expect(events.filter((e) => e.type === 'approval.decided')).toEqual([
        expect.objectContaining({ actor: { kind: 'user', userId }, approved: true, comment: 'from the dashboard' }),
      ]);
      // And the state document shows it decided, with the decision as recorded.
      await eventually(
        () => (approval.get('status') === 'approved' ? true : undefined),
        10_000,
        'the state document shows the approval',
      );
      expect((approval.get('decisions') as Y.Map<unknown>).get(userId)).toMatchObject({
        approved: true,
        comment: 'from the dashboard',
      });
    } finally {
      browser.destroy();
    }
  });

  it('fires a schedule created through the Worker on a cron tick, starting an execution', async () => {
    const recipeId = await recipe('name: nightly\nsteps:\n  - { id: gate, kind: approval, prompt: "ok?" }\n');
    // Created just after a 10 s boundary, the first fire is ~9 s away: past the outbox's lookahead,
    // so its timer job waits in the outbox and only the tick's sweep can fire it when due.
    while (Date.now() % 10_000 > 500) await new Promise((resolve) => setTimeout(resolve, 50));
    const created = await api('POST', `/v1/workspaces/${workspaceId}/schedules`, {
      name: 'every ten seconds',
      recipeId,
      dashboardId,
      cron: '*/10 * * * * *',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const scheduleId = created.body.id as string;
    const firstFire = new Date(Math.ceil(Date.now() / 10_000) * 10_000);
    const fires = async () =>
      (await api('GET', `/v1/schedules/${scheduleId}/fires?limit=10`)).body.fires as Array<{
        fireAt: string;
        outcome: string;
        executionId: string | null;
      }>;
    await new Promise((resolve) => setTimeout(resolve, firstFire.getTime() - Date.now() + 300));
    expect(await fires()).toEqual([]);
    await cronTick();
    const [fired] = await fires();
    expect(fired).toMatchObject({ fireAt: firstFire.toISOString(), outcome: 'started' });
    await stepIs(fired?.executionId ?? '', 'gate', 'waiting');
    expect((await api('PATCH', `/v1/schedules/${scheduleId}`, { paused: true })).status).toBe(200);
  });

  it('starts an execution from a generic webhook trigger posted to the Worker', async () => {
    const recipeId = await recipe(
      'name: deploy\ninputs: { branch: { type: string } }\nsteps:\n  - ' +
        '{ id: gate, kind: approval, prompt: "Deploy ${inputs.branch}?" }\n',
    );
    const created = await api('POST', `/v1/workspaces/${workspaceId}/triggers`, {
      name: 'ci',
      source: 'webhook',
      action: { kind: 'start', recipeId, dashboardId, inputs: { branch: 'event.payload.branch' } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const trigger = created.body as { id: string; secret: string; hookUrl: string };
    expect(trigger.hookUrl).toBe(`${workerUrl}/v1/hooks/${trigger.id}`);
    const body = JSON.stringify({ branch: 'feature/edge' });
    const received = await fetch(`${workerUrl}/v1/hooks/${trigger.id}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-baton-event': 'build',
        ...(await signWebhook(trigger.secret, { body, deliveryId: crypto.randomUUID(), nowMs: Date.now() })),
      },
      body,
    });
    expect(received.status).toBe(202);
    const eventId = ((await received.json()) as { id: string }).id;
    // The event's job goes through the queue to the Worker's queue() entry, which starts the execution.
    const firing = await eventually(
      async () => {
        const events = (await api('GET', `/v1/triggers/${trigger.id}/events?limit=10`)).body.events as Array<{
          id: string;
          firing: { outcome: string; executionId: string | null } | null;
        }>;
        return events.find((e) => e.id === eventId)?.firing ?? undefined;
      },
      20_000,
      'the trigger fired',
    );
    expect(firing.outcome).toBe('started');
    await stepIs(firing.executionId ?? '', 'gate', 'waiting');
  });

  it('sends a webhook step signed with the workspace secret, after the egress checks a Worker can make', async () => {
    const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = receiver.address() as AddressInfo;
      const made = await api('POST', `/v1/workspaces/${workspaceId}/webhook-signing-secret`);
      expect(made.status).toBe(201);
      const secret = made.body.secret as string;
      const hookStep = (url: string) =>
        `name: hook\nsteps:\n  - { id: tell, kind: notify, channel: ` +
        `webhook, url: "${url}", message: "from the edge" }\n`;
      for (const url of ['http://10.0.0.1/hook', 'http://localhost:9/hook', 'http://169.254.169.254/latest']) {
        const refused = await api('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: hookStep(url) });
        expect(refused.status, url).toBe(400);
        expect(refused.body.error.details.issues[0]).toMatchObject({
          path: 'steps.0.url',
          message: expect.stringMatching(/^refused: .* address; allow it with BATON_EGRESS_ALLOW$/),
        });
      }
      const started = await api(
        'POST',
        `/v1/recipes/${await recipe(hookStep(`http://127.0.0.1:${port}/hook`))}/executions`,
        { dashboardId },
      );
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      const id = started.body.id as string;
      const done = await eventually(
        async () => {
          const ex = await execution(id);
          return ex.status === 'succeeded' || ex.status === 'failed' ? ex : undefined;
        },
        30_000,
        'the execution finished',
      );
      expect(done.steps.tell).toMatchObject({ status: 'succeeded', output: { message: 'from the edge', status: 204 } });
      expect(got).toHaveLength(1);
      const [delivery] = got;
      const timestamp = Number(delivery?.headers['x-baton-timestamp']);
      const deliveryId = String(delivery?.headers['x-baton-delivery']);
      expect(deliveryId).toBe(`${id}:tell:1`);
      expect(Math.abs(Date.now() / 1000 - timestamp)).toBeLessThan(300);
      const expected = await signWebhook(secret, { body: delivery?.body ?? '', deliveryId, nowMs: timestamp * 1000 });
      expect(delivery?.headers['x-baton-signature-256']).toBe(expected['x-baton-signature-256']);
    } finally {
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
    }
  });
});

describe('a job that asks for more retries than Queues allows (as orchestrator.dispatch does)', () => {
  it(
    'is sent again with its attempts carried, runs once ' + 'it succeeds, and is dropped after its retry limit',
    async () => {
      // The consumer gives up on a message after 2 retries; the topic asks for 6.
      const stubborn = await startWorker({
        entry: 'test/workerd/fixtures/resend-worker.ts',
        compatibilityDate: '2025-09-01',
        queues: {
          queueProducers: { JOBS: 'stubborn' },
          queueConsumers: { stubborn: { maxBatchSize: 10, maxBatchTimeout: 0, maxRetries: 2 } },
        },
      });
      try {
        const send = async (failures: number) =>
          (
            (await (await stubborn.fetch('/send', { method: 'POST', body: JSON.stringify({ failures }) })).json()) as {
              id: string;
            }
          ).id;
        const state = async (id: string) =>
          (await stubborn.fetch(`/jobs/${id}`)).json() as Promise<{ attempts: number; succeeded: boolean }>;
        const [recovers, neverRecovers] = [await send(5), await send(100)];
        expect(
          await eventually(
            async () => ((await state(recovers)).succeeded ? state(recovers) : undefined),
            30_000,
            'the job succeeded',
          ),
        ).toEqual({ attempts: 6, succeeded: true });
        // 1 + retryLimit attempts, then dropped: no seventh-and-later deliveries.
        await eventually(async () => (await state(neverRecovers)).attempts >= 7 || undefined, 30_000, 'seven attempts');
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        expect(await state(neverRecovers)).toEqual({ attempts: 7, succeeded: false });
      } finally {
        await stubborn.dispose();
      }
    },
  );
});
