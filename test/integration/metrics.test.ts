import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { PgBossJobQueue } from '../../src/adapters/pgboss/pg-boss-job-queue.ts';
import { readJobQueues } from '../../src/adapters/pgboss/queue-readings.ts';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createMetricReadings } from '../../src/adapters/postgres/metric-readings.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { callApi } from '../support/api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// GET /metrics as Prometheus scrapes it, from a real server whose work the metrics describe: an
// execution run on the stand-in plane, a live dashboard client, API calls with ids in their paths.
const metricsToken = 'metrics-token-0123456789abcdef';
let database: TestDatabase;
let baton: TestApp;
let team: Team;
const clients: RealtimeClient[] = [];

const api = (method: string, path: string, body?: unknown) => callApi(baton.url, method, path, team.owner.secret, body);

/** One scrape with the token: the exposition text (and its content type). */
async function scrape(): Promise<{ contentType: string; text: string }> {
  const res = await fetch(`${baton.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The value of the sample `name{labels}` (labels in the order prom-client writes them), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Every label value in the exposition. */
function labelValues(text: string): string[] {
  return [...text.matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)].map((m) => m[1] ?? '');
}

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, {
    BATON_METRICS_TOKEN: metricsToken,
    BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '100000',
  });
  team = await createTeam(baton, 'Metered');
  expect(
    (
      await api('POST', `/v1/workspaces/${team.workspaceId}/agent-profiles`, {
        name: 'coder',
        model: 'test-model',
        tools: [],
        promptTemplate: '${prompt}',
      })
    ).status,
  ).toBe(201);
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await baton?.close();
  await database?.drop();
});

/** Creates a recipe and starts it on the team's dashboard; returns the execution id. */
async function start(yaml: string): Promise<string> {
  const recipe = await api('POST', `/v1/workspaces/${team.workspaceId}/recipes`, { yaml });
  expect(recipe.status, JSON.stringify(recipe.body)).toBe(201);
  const started = await api('POST', `/v1/recipes/${recipe.body.id}/executions`, {
    dashboardId: team.dashboardId,
    inputs: {},
  });
  expect(started.status, JSON.stringify(started.body)).toBe(201);
  return started.body.id as string;
}

const statusOf = async (id: string) => (await api('GET', `/v1/executions/${id}`)).body.status as string;

describe('GET /metrics', () => {
  it('is refused without the token, or with another one', async () => {
    const none = await fetch(`${baton.url}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    expect(
      (await fetch(`${baton.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}x` } })).status,
    ).toBe(401);
    // An API token is not the metrics token.
    expect(
      (await fetch(`${baton.url}/metrics`, { headers: { authorization: `Bearer ${team.owner.secret}` } })).status,
    ).toBe(401);
  });

  it(
    'counts steps, times routes by template, and shows ' + 'live connections, sessions, queues and the outbox',
    async () => {
      const before = (await scrape()).text;
      const agentStarted = sample(before, 'baton_steps_started_total{kind="agent"}') ?? 0;
      const agentFinished = sample(before, 'baton_steps_finished_total{kind="agent"}') ?? 0;

      const id = await start(`
name: metered
steps:
  - { id: work, kind: agent, profile: coder, prompt: go }
  - { id: tell, kind: notify, channel: dashboard, message: done }
`);
      await eventually(async () => (await statusOf(id)) === 'succeeded', 20_000, 'the execution to succeed');
      // A step that fails for good counts as failed.
      const broken = await start(`
name: broken
steps:
  - { id: doomed, kind: agent, profile: coder, prompt: go, input: { outcome: fail } }
`);
      await eventually(async () => (await statusOf(broken)) === 'failed', 20_000, 'the broken execution to fail');

      const client = connectClient(baton.url, team.dashboardId, { token: team.viewer.secret });
      clients.push(client);
      await eventually(() => client.authenticated(), 10_000, 'the live client to be admitted');

      const { contentType, text } = await scrape();
      expect(contentType).toContain('text/plain');
      expect(sample(text, 'baton_steps_started_total{kind="agent"}')).toBe(agentStarted + 2);
      expect(sample(text, 'baton_steps_finished_total{kind="agent"}')).toBe(agentFinished + 1);
      expect(sample(text, 'baton_steps_failed_total{kind="agent"}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'baton_steps_started_total{kind="notify"}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'baton_steps_finished_total{kind="notify"}')).toBeGreaterThanOrEqual(1);
      // The route template, never the path with its id.
      expect(
        sample(
          text,
          'baton_http_request_duration_seconds_count{method="GET",route="/v1/executions/:id",status_class="2xx"}',
        ),
      ).toBeGreaterThanOrEqual(2);
      expect(
        sample(
          text,
          'baton_http_request_duration_seconds_bucket{le="+Inf",method="POST",' +
            'route="/v1/recipes/:id/executions",status_class="2xx"}',
        ),
      ).toBeGreaterThanOrEqual(2);
      expect(sample(text, 'baton_realtime_connections')).toBe(1);
      expect(sample(text, 'baton_realtime_documents')).toBeGreaterThanOrEqual(1);
      for (const status of ['requested', 'provisioning', 'ready', 'idle', 'stopping'])
        expect(sample(text, `baton_sessions{status="${status}"}`), status).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'baton_job_queue_depth{queue="orchestrator.dispatch",state="ready"}')).toBeGreaterThanOrEqual(
        0,
      );
      expect(
        sample(text, 'baton_job_queue_oldest_ready_seconds{queue="orchestrator.dispatch"}'),
      ).toBeGreaterThanOrEqual(0);
      expect(sample(text, 'baton_outbox_lag_seconds')).toBeGreaterThanOrEqual(0);
      for (const action of ['stopped', 'lost', 'failed', 'run_recovered'])
        expect(sample(text, `baton_reaper_actions_total{action="${action}"}`), action).toBeGreaterThanOrEqual(0);
      // Node's process metrics come along.
      expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(text).toContain('nodejs_eventloop_lag_seconds');

      client.destroy();
      await eventually(
        async () => sample((await scrape()).text, 'baton_realtime_connections') === 0,
        10_000,
        'the connection gauge to drop',
      );
    },
  );

  it('shows a session holding a sandbox by its status while a step runs', async () => {
    const id = await start(`
name: hanging
steps:
  - { id: stuck, kind: agent, profile: coder, prompt: go, input: { outcome: hang } }
`);
    const live = await eventually(
      async () => {
        const { text } = await scrape();
        const ready = sample(text, 'baton_sessions{status="ready"}') ?? 0;
        return ready >= 1 ? ready : undefined;
      },
      20_000,
      'a ready session in the metrics',
    );
    expect(live).toBeGreaterThanOrEqual(1);
    expect((await api('POST', `/v1/executions/${id}/cancel`, {})).status).toBe(200);
  });

  it('puts no id, path or credential in any label', async () => {
    // Requests whose paths carry ids: matched ones are labelled by template, unmatched ones not at all.
    const unknown = crypto.randomUUID();
    expect((await api('GET', `/v1/executions/${unknown}`)).status).toBe(404);
    expect((await fetch(`${baton.url}/v1/no-such-route/${unknown}?token=${team.owner.secret}`)).status).toBe(404);
    const { text } = await scrape();
    expect(
      sample(text, 'baton_http_request_duration_seconds_count{method="GET",route="unmatched",status_class="4xx"}'),
    ).toBeGreaterThanOrEqual(1);
    const values = labelValues(text);
    expect(values.length).toBeGreaterThan(20);
    const uuid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
    const secrets = [
      metricsToken,
      team.owner.secret,
      team.viewer.secret,
      team.workspaceId,
      team.dashboardId,
      team.owner.userId,
      unknown,
    ];
    for (const value of values) {
      expect(value, value).not.toMatch(uuid);
      expect(value, value).not.toContain('?');
      for (const secret of secrets) expect(value).not.toContain(secret);
    }
  });
});

describe('metrics on a port of their own (BATON_METRICS_PORT)', () => {
  let other: TestApp;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freePort();
    other = await startTestApp(database.url, { BATON_METRICS_PORT: String(metricsPort) });
  });
  afterAll(async () => {
    await other?.close();
  });

  it('serves them there without a token, and not on the API port', async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('# TYPE baton_http_request_duration_seconds histogram');
    expect((await fetch(`${other.url}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(404);
  });
});

describe("the reaper's actions", () => {
  // Real time plus an offset the test moves: the reaper sees minutes pass in an instant. Hour-long
  // heartbeats, so the jump does not look like a lost sandbox; the reaper looks every second.
  const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
  let own: TestDatabase;
  let reaping: TestApp;
  beforeAll(async () => {
    own = await createTestDatabase();
    reaping = await startTestApp(
      own.url,
      {
        BATON_METRICS_TOKEN: metricsToken,
        BATON_SANDBOX_HEARTBEAT_SECONDS: '3600',
        BATON_REAPER_INTERVAL_SECONDS: '1',
        BATON_SANDBOX_IDLE_MINUTES: '10',
      },
      { clock },
    );
  });
  afterAll(async () => {
    await reaping?.close();
    await own?.drop();
  });

  it('counts a sandbox stopped for idling', async () => {
    const crew = await createTeam(reaping, 'Reaped');
    const scrapeReaped = async () =>
      await (await fetch(`${reaping.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } })).text();
    expect(sample(await scrapeReaped(), 'baton_reaper_actions_total{action="stopped"}')).toBe(0);
    const opened = await callApi(
      reaping.url,
      'POST',
      `/v1/dashboards/${crew.dashboardId}/terminals`,
      crew.owner.secret,
    );
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    await eventually(
      async () =>
        sample(await scrapeReaped(), 'baton_sessions{status="ready"}') === 1 ||
        sample(await scrapeReaped(), 'baton_sessions{status="idle"}') === 1,
      20_000,
      'the terminal session live',
    );
    clock.offsetMs += 11 * 60_000;
    await eventually(
      async () => sample(await scrapeReaped(), 'baton_reaper_actions_total{action="stopped"}') === 1,
      20_000,
      'the reaper to count the stopped session',
    );
    expect(sample(await scrapeReaped(), 'baton_reaper_actions_total{action="lost"}')).toBe(0);
  });
});

describe('what a scrape reads from Postgres', () => {
  // A database of its own with nothing working on it: jobs wait in the queue, rows in the outbox.
  let quiet: TestDatabase;
  beforeAll(async () => {
    quiet = await createTestDatabase();
  });
  afterAll(async () => {
    await quiet?.drop();
  });

  it('counts ready jobs per queue with the age of the oldest, and the outbox lag of its oldest due row', async () => {
    const queue = new PgBossJobQueue({ connectionString: quiet.url, logger: silentLogger });
    await queue.start();
    const db = createDatabase({ url: quiet.url, poolMax: 2, logger: silentLogger });
    try {
      await queue.declareTopic('metrics.probe');
      await queue.send('metrics.probe', { n: 1 });
      await queue.send('metrics.probe', { n: 2 });
      // Delayed: not ready yet, so neither counted nor aged.
      await queue.send('metrics.probe', { n: 3 }, { startAfter: new Date(Date.now() + 3_600_000) });
      await sql`update pgboss.job set start_after = now() - interval '90 seconds' where name = 'metrics.probe'
        and data->>'n' = '1'`.execute(db);
      const probe = (await readJobQueues(db)).find((q) => q.queue === 'metrics.probe');
      expect(probe).toMatchObject({ ready: 2, active: 0 });
      expect(probe?.oldestReadySeconds).toBeGreaterThanOrEqual(90);
      expect(probe?.oldestReadySeconds).toBeLessThan(600);

      const readings = createMetricReadings(db);
      expect(await readings.outboxLagSeconds()).toBe(0);
      await sql`insert into job_outbox (topic, data, created_at)
        values ('metrics.probe', '{}', now() - interval '2 minutes')`.execute(db);
      // A delayed job waiting for its time is not lag.
      await sql`insert into job_outbox (topic, data, start_after, created_at)
        values ('metrics.probe', '{}', now() + interval '1 hour', now() - interval '1 day')`.execute(db);
      const lag = await readings.outboxLagSeconds();
      expect(lag).toBeGreaterThanOrEqual(120);
      expect(lag).toBeLessThan(600);
      expect(await readings.liveSessionsByStatus()).toEqual({
        requested: 0,
        provisioning: 0,
        ready: 0,
        idle: 0,
        stopping: 0,
      });
    } finally {
      await queue.stop({ timeoutMs: 3_000 });
      await db.destroy();
    }
  });
});
