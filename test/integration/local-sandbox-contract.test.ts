import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  startLocalSandboxPlane,
  type LocalSandboxPlane,
} from '../../src/adapters/local-sandbox/local-sandbox-plane.ts';
import { signatureHeaders, verifyCallback } from '../../src/app/sessions/callback-signature.ts';
import { sandboxCallbackSchema, type SandboxEvent } from '../../src/app/sessions/sandbox-event-schema.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';

// The contract, loaded as written. Response bodies and callback bodies are checked against its
// schemas with ajv (JSON Schema 2020-12, which OpenAPI 3.1 uses).
interface OpenApiResponse {
  $ref?: string;
  content?: Record<string, { schema: { $ref?: string } }>;
}
interface OpenApiDoc {
  paths: Record<string, Record<string, { responses: Record<string, OpenApiResponse> }>>;
  components: { responses: Record<string, OpenApiResponse> };
}
const doc = parseYaml(readFileSync('api/sandbox.openapi.yaml', 'utf8')) as OpenApiDoc;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ ...doc, $id: 'sandbox.openapi' });

function schemaValidator(ref: string) {
  const validate = ajv.getSchema(`sandbox.openapi${ref}`);
  if (validate === undefined) throw new Error(`no schema at ${ref}`);
  return validate;
}

/** Fails unless the contract documents `status` for this operation and `body` matches its schema. */
function expectDocumented(method: string, template: string, status: number, body: unknown): void {
  const operation = doc.paths[template]?.[method.toLowerCase()];
  expect(operation, `${method} ${template} is in the contract`).toBeDefined();
  let response = operation?.responses[String(status)];
  expect(response, `${method} ${template} documents ${status}`).toBeDefined();
  if (response?.$ref !== undefined) response = doc.components.responses[response.$ref.split('/').at(-1) ?? ''];
  const schemaRef = response?.content?.['application/json']?.schema.$ref;
  if (schemaRef === undefined) return expect(body, `${method} ${template} ${status} has no body`).toBeUndefined();
  const validate = schemaValidator(schemaRef);
  expect(
    validate(body),
    `${method} ${template} ${status}: ${ajv.errorsText(validate.errors)} in ${JSON.stringify(body)}`,
  ).toBe(true);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
interface Answer<T = any> {
  status: number;
  body: T;
}

/**
 * Calls the plane at `template` (path parameters filled in, URL-encoded) and checks the answer against the contract.
 */
async function call(
  plane: { url: string },
  method: string,
  template: string,
  params: Record<string, string> = {},
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(params[name] ?? ''));
  const res = await fetch(`${plane.url}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  const parsed: unknown = text === '' ? undefined : JSON.parse(text);
  expectDocumented(method, template, res.status, parsed);
  return { status: res.status, body: parsed };
}

/** A tiny Baton stand-in for callbacks: verifies signatures, validates bodies, answers what `answer` says. */
interface Receiver {
  readonly url: string;
  readonly events: SandboxEvent[];
  /** Every refused or invalid delivery, with why. */
  readonly problems: string[];
  /** Deliveries per event id (retries included). */
  readonly attempts: Map<string, number>;
  /** The event types of each accepted callback, in order (a batch lists several). */
  readonly callbacks: string[][];
  answer: (event: SandboxEvent, attempt: number) => number;
  close(): Promise<void>;
}

const secret = 'callback-secret-for-tests';

async function startReceiver(): Promise<Receiver> {
  const events: SandboxEvent[] = [];
  const problems: string[] = [];
  const attempts = new Map<string, number>();
  const callbacks: string[][] = [];
  const validateCallback = schemaValidator('#/components/schemas/SandboxCallback');
  const receiver: Omit<Receiver, 'url' | 'close'> = { events, problems, attempts, callbacks, answer: () => 204 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = (name: string) => (typeof req.headers[name] === 'string' ? req.headers[name] : undefined);
        const problem = await verifyCallback(
          secret,
          body,
          { timestamp: header(signatureHeaders.timestamp), signature: header(signatureHeaders.signature) },
          Date.now(),
        );
        if (problem !== null) {
          problems.push(`signature ${problem}`);
          return res.writeHead(401).end();
        }
        const json: unknown = JSON.parse(body);
        if (!validateCallback(json)) problems.push(`contract: ${ajv.errorsText(validateCallback.errors)}`);
        const parsed = sandboxCallbackSchema.safeParse(json);
        if (!parsed.success) {
          problems.push(`schema: ${parsed.error.message}`);
          return res.writeHead(400).end();
        }
        // One event or a batch: accepted or refused as a whole.
        const got = 'events' in parsed.data ? parsed.data.events : [parsed.data];
        const statuses = got.map((event) => {
          const attempt = (attempts.get(event.id) ?? 0) + 1;
          attempts.set(event.id, attempt);
          return receiver.answer(event, attempt);
        });
        const status = statuses.find((s) => s >= 300) ?? 204;
        if (status < 300) {
          callbacks.push(got.map((event) => event.type));
          for (const event of got) if (!events.some((known) => known.id === event.id)) events.push(event);
        }
        res.writeHead(status).end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/sandbox-events`;
  return Object.assign(receiver, { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
}

const specFor = (receiver: Receiver, sessionId: string = randomUUID(), epoch = 1) => ({
  sessionId,
  epoch,
  callbackUrl: receiver.url,
  callbackSecret: secret,
  heartbeatSeconds: 1,
  env: { REPO: 'example' },
});
const runRequest = (inputs: Record<string, unknown> = {}, idempotencyKey = `${randomUUID()}/build/1`) => ({
  idempotencyKey,
  profile: { name: 'coder', model: 'model-x', tools: ['shell'] },
  prompt: 'fix the build',
  inputs,
  timeoutMs: null,
});

let receiver: Receiver;
let plane: LocalSandboxPlane;
const tempDirs: string[] = [];
const planes: LocalSandboxPlane[] = [];

async function startPlane(dataDir?: string, token?: string): Promise<LocalSandboxPlane> {
  const dir = dataDir ?? (await mkdtemp(join(tmpdir(), 'baton-local-sandbox-')));
  if (dataDir === undefined) tempDirs.push(dir);
  // Short backoffs: the tests below refuse callbacks many times over, past the old six-second budget.
  const started = await startLocalSandboxPlane({
    port: 0,
    dataDir: dir,
    logger: silentLogger,
    callbackBackoff: { firstMs: 10, maxMs: 50 },
    ...(token === undefined ? {} : { token }),
  });
  planes.push(started);
  return started;
}

/** Creates a sandbox and waits until it is running (a new one is `starting` for a moment). */
async function runningSandbox(
  on: LocalSandboxPlane = plane,
  sessionId?: string,
): Promise<{ id: string; sessionId: string }> {
  const created = await call(on, 'POST', '/v1/sandboxes', {}, specFor(receiver, sessionId));
  expect(created.status).toBe(201);
  await eventually(
    async () =>
      (await call(on, 'GET', '/v1/sandboxes/{sandboxId}', { sandboxId: created.body.id })).body.status === 'running',
    10_000,
    'sandbox running',
  );
  return { id: created.body.id, sessionId: created.body.sessionId };
}

const eventsOf = (runKey: string) => receiver.events.filter((event) => 'runKey' in event && event.runKey === runKey);
const finished = (runKey: string) =>
  eventsOf(runKey).some((event) => event.type === 'run.completed' || event.type === 'run.failed');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  receiver = await startReceiver();
  plane = await startPlane();
});

afterAll(async () => {
  for (const started of planes) await started.close();
  await receiver.close();
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
});

describe('the local sandbox plane speaks the contract', () => {
  it('answers every documented call with a body the contract allows', async () => {
    const spec = specFor(receiver);
    const created = await call(plane, 'POST', '/v1/sandboxes', {}, spec);
    expect(created).toMatchObject({ status: 201, body: { sessionId: spec.sessionId, epoch: 1 } });
    expect(created.body.url).toBe(`${plane.url}/v1/sandboxes/${created.body.id}`);
    const again = await call(plane, 'POST', '/v1/sandboxes', {}, spec);
    expect(again).toMatchObject({ status: 200, body: { id: created.body.id } });
    const sandboxId: string = created.body.id;
    await eventually(
      async () => (await call(plane, 'GET', '/v1/sandboxes/{sandboxId}', { sandboxId })).body.status === 'running',
      10_000,
    );

    expect(await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/health', { sandboxId })).toEqual({
      status: 200,
      body: { status: 'ok', sandboxId },
    });
    const run = runRequest({ duration: 60_000 });
    const key = run.idempotencyKey;
    expect(await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run)).toMatchObject({
      status: 201,
      body: { idempotencyKey: key, status: 'running', created: true },
    });
    expect(await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run)).toMatchObject({
      status: 200,
      body: { idempotencyKey: key, status: 'running', created: false },
    });
    expect(
      await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', { sandboxId, runKey: key }),
    ).toMatchObject({ status: 200, body: { status: 'running', created: false } });
    expect(
      await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs/{runKey}/cancel', { sandboxId, runKey: key }),
    ).toEqual({ status: 202, body: { idempotencyKey: key, status: 'cancelled' } });
    expect(
      await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', { sandboxId, runKey: key }),
    ).toMatchObject({ status: 200, body: { status: 'cancelled' } });
    const unknownRun = await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', {
      sandboxId,
      runKey: `${randomUUID()}/x/1`,
    });
    expect(unknownRun).toMatchObject({ status: 404, body: { error: { code: 'run_not_found' } } });
    expect(
      (await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs/{runKey}/cancel', { sandboxId, runKey: 'nope/x/1' }))
        .status,
    ).toBe(404);

    const terminal = await call(
      plane,
      'POST',
      '/v1/sandboxes/{sandboxId}/terminals',
      { sandboxId },
      { userId: 'user-1' },
    );
    expect(terminal.status).toBe(201);
    expect(terminal.body.attachUrl).toBe(`${plane.url.replace('http://', 'ws://')}/v1/sandboxes/${sandboxId}/terminal`);
    const ledger = await call(plane, 'GET', '/v1/ledger');
    expect(ledger.body.runs).toContainEqual(
      expect.objectContaining({ idempotencyKey: key, sandboxId, sessionId: spec.sessionId, epoch: 1, requests: 2 }),
    );

    expect(await call(plane, 'DELETE', '/v1/sandboxes/{sandboxId}', { sandboxId })).toEqual({
      status: 204,
      body: undefined,
    });
    expect(await call(plane, 'GET', '/v1/sandboxes/{sandboxId}', { sandboxId })).toMatchObject({
      status: 404,
      body: { error: { code: 'sandbox_not_found' } },
    });
    expect(await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/health', { sandboxId })).toMatchObject({
      status: 404,
      body: { error: { code: 'sandbox_not_found' } },
    });
    expect((await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, runRequest())).status).toBe(404);
    expect((await call(plane, 'DELETE', '/v1/sandboxes/{sandboxId}', { sandboxId })).status).toBe(204);
  });

  it('reports a run with signed callbacks, in order: started, progress, artifacts, completed', async () => {
    const { id: sandboxId, sessionId } = await runningSandbox();
    const run = runRequest({
      duration: 300,
      progress: [
        { message: 'cloning', percent: 10 },
        { message: 'testing', percent: 60, costUsd: 0.02 },
      ],
      artifacts: [
        { kind: 'diff', title: 'The fix', content: '--- a\n+++ b' },
        { kind: 'link', title: 'CI', url: 'https://ci.example.com/1' },
      ],
      output: { summary: 'fixed', files: 2 },
    });
    await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run);
    await eventually(() => finished(run.idempotencyKey), 10_000, 'the run to finish');

    const events = eventsOf(run.idempotencyKey);
    expect(events.map((event) => event.type)).toEqual([
      'run.started',
      'run.progress',
      'run.progress',
      'run.artifact',
      'run.artifact',
      'run.completed',
    ]);
    expect(events.map((event) => event.data)).toEqual([
      {},
      { message: 'cloning', percent: 10 },
      { message: 'testing', percent: 60, costUsd: 0.02 },
      { artifactId: 'a1', kind: 'diff', title: 'The fix', content: '--- a\n+++ b' },
      { artifactId: 'a2', kind: 'link', title: 'CI', url: 'https://ci.example.com/1' },
      { output: { summary: 'fixed', files: 2 } },
    ]);
    for (const event of events) expect(event).toMatchObject({ sessionId, epoch: 1, sandboxId });
    expect(new Set(events.map((event) => event.id)).size).toBe(events.length);
    await eventually(
      () => receiver.events.some((event) => event.type === 'heartbeat' && event.sandboxId === sandboxId),
      10_000,
      'a heartbeat',
    );
    expect(receiver.problems).toEqual([]);
    const status = await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', {
      sandboxId,
      runKey: run.idempotencyKey,
    });
    expect(status.body).toMatchObject({ status: 'succeeded', output: { summary: 'fixed', files: 2 } });
    expect(typeof status.body.finishedAt).toBe('string');
  });

  it("sends an instant run's start and end as one batch callback, signed as a whole", async () => {
    const { id: sandboxId } = await runningSandbox();
    const run = runRequest({ output: { quick: true } });
    await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run);
    await eventually(() => finished(run.idempotencyKey), 10_000, 'the run to finish');
    expect(eventsOf(run.idempotencyKey).map((event) => event.type)).toEqual(['run.started', 'run.completed']);
    expect(receiver.callbacks).toContainEqual(['run.started', 'run.completed']);
    expect(receiver.problems).toEqual([]);
  });

  it('fails runs as scripted: fail, fail-retryable, and the first failAttempts attempts', async () => {
    const { id: sandboxId } = await runningSandbox();
    const execution = randomUUID();
    const cases = [
      { run: runRequest({ outcome: 'fail' }), type: 'run.failed', retryable: false },
      { run: runRequest({ outcome: 'fail-retryable' }), type: 'run.failed', retryable: true },
      { run: runRequest({ failAttempts: 1 }, `${execution}/build/1`), type: 'run.failed', retryable: true },
      { run: runRequest({ failAttempts: 1 }, `${execution}/build/2`), type: 'run.completed', retryable: undefined },
    ];
    for (const { run } of cases) await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run);
    for (const { run, type, retryable } of cases) {
      await eventually(() => finished(run.idempotencyKey), 10_000, `${run.idempotencyKey} to finish`);
      const last = eventsOf(run.idempotencyKey).at(-1);
      expect(last?.type).toBe(type);
      if (last?.type === 'run.failed') expect(last.data.retryable).toBe(retryable);
      if (last?.type === 'run.completed') expect(last.data.output).toEqual({ summary: 'coder ran: fix the build' });
    }
  });

  it('starts a repeated key once, whichever sandbox is asked (ledger requests 2, one run.started)', async () => {
    const first = await runningSandbox();
    const second = await runningSandbox();
    const run = runRequest({ duration: 50 });
    expect((await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId: first.id }, run)).status).toBe(
      201,
    );
    const again = await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId: second.id }, run);
    expect(again).toMatchObject({ status: 200, body: { idempotencyKey: run.idempotencyKey, created: false } });
    await eventually(() => finished(run.idempotencyKey), 10_000, 'the run to finish');
    const ledger = await call(plane, 'GET', '/v1/ledger');
    expect(
      ledger.body.runs.filter((entry: { idempotencyKey: string }) => entry.idempotencyKey === run.idempotencyKey),
    ).toEqual([expect.objectContaining({ sandboxId: first.id, requests: 2 })]);
    expect(eventsOf(run.idempotencyKey).filter((event) => event.type === 'run.started')).toHaveLength(1);
    expect(eventsOf(run.idempotencyKey).every((event) => event.sandboxId === first.id)).toBe(true);
  });

  it('stops a cancelled run: no completion, status cancelled', async () => {
    const { id: sandboxId } = await runningSandbox();
    // Long enough that the cancel lands before the scripted end however loaded the machine is.
    const script = { duration: 5_000, progress: [{ message: 'half way' }] };
    const run = runRequest(script);
    await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run);
    await eventually(() => eventsOf(run.idempotencyKey).length > 0, 30_000, 'run.started');
    expect(
      (
        await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs/{runKey}/cancel', {
          sandboxId,
          runKey: run.idempotencyKey,
        })
      ).body.status,
    ).toBe('cancelled');
    // A control run with the same script, started after the cancel in the same process: its timers fall
    // due after the cancelled run's would have, so once it has completed, the cancelled run is past its
    // scripted end (however late the timers ran) and would have journaled its completion by then.
    const control = runRequest(script);
    expect((await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, control)).status).toBe(201);
    await eventually(() => finished(control.idempotencyKey), 30_000, 'the control run to finish');
    const journaled = await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}/events', {
      sandboxId,
      runKey: run.idempotencyKey,
    });
    expect(journaled.body.events.map((event: { type: string }) => event.type)).toEqual(['run.started']);
    expect(finished(run.idempotencyKey)).toBe(false);
    expect(
      (await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', { sandboxId, runKey: run.idempotencyKey }))
        .body.status,
    ).toBe('cancelled');
  });

  it('makes a sandbox gone when a run crashes it: 404, no more heartbeats or callbacks', async () => {
    const { id: sandboxId } = await runningSandbox();
    const run = runRequest({ outcome: 'crash', duration: 200, artifacts: [{ kind: 'report', title: 'never sent' }] });
    await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run);
    await eventually(
      async () => (await call(plane, 'GET', '/v1/sandboxes/{sandboxId}', { sandboxId })).status === 404,
      10_000,
      'the sandbox to be gone',
    );
    expect((await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/health', { sandboxId })).status).toBe(404);
    // A request already on the wire when it crashed may still land (late on a loaded machine); after
    // that, nothing: watched for over two heartbeat intervals (a silence, so a window is all there is).
    await sleep(1_000);
    const seen = receiver.events.filter((event) => event.sandboxId === sandboxId).length;
    await sleep(2_500);
    expect(receiver.events.filter((event) => event.sandboxId === sandboxId)).toHaveLength(seen);
    // The run died with its sandbox: it never reported an end.
    expect(eventsOf(run.idempotencyKey).every((event) => event.type === 'run.started')).toBe(true);

    const other = await runningSandbox();
    const asked = await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId: other.id }, run);
    expect(asked).toMatchObject({
      status: 200,
      body: {
        created: false,
        status: 'failed',
        error: { message: 'the sandbox that ran this was lost', retryable: true },
      },
    });
  });

  it('retries a callback answered 5xx, and stops a sandbox that Baton says was replaced (410)', async () => {
    const flaky = randomUUID();
    const replaced = randomUUID();
    receiver.answer = (event, attempt) =>
      event.sessionId === flaky && event.type === 'run.started' && attempt <= 2
        ? 503
        : event.sessionId === replaced
          ? 410
          : 204;
    try {
      const { id: sandboxId } = await runningSandbox(plane, flaky);
      const run = runRequest();
      await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run);
      await eventually(() => finished(run.idempotencyKey), 10_000, 'the run to finish after retries');
      const started = eventsOf(run.idempotencyKey)[0];
      expect(started?.type).toBe('run.started');
      expect(receiver.attempts.get(started?.id ?? '')).toBe(3);
      expect(eventsOf(run.idempotencyKey).map((event) => event.type)).toEqual(['run.started', 'run.completed']);

      const created = await call(plane, 'POST', '/v1/sandboxes', {}, specFor(receiver, replaced));
      const stoppedId: string = created.body.id;
      await eventually(
        async () =>
          (await call(plane, 'GET', '/v1/sandboxes/{sandboxId}', { sandboxId: stoppedId })).body.status === 'stopped',
        10_000,
        'the replaced sandbox to stop',
      );
      expect((await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/health', { sandboxId: stoppedId })).status).toBe(404);
    } finally {
      receiver.answer = () => 204;
    }
  });

  it('never starts a known key again after a restart (close, then start on the same dataDir)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'baton-local-sandbox-restart-'));
    tempDirs.push(dataDir);
    const before = await startPlane(dataDir);
    const old = await runningSandbox(before);
    const run = runRequest({ outcome: 'hang' });
    expect((await call(before, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId: old.id }, run)).status).toBe(201);
    await eventually(() => eventsOf(run.idempotencyKey).length === 1, 10_000, 'run.started');
    await before.close();

    const after = await startPlane(dataDir);
    expect((await call(after, 'GET', '/v1/sandboxes/{sandboxId}', { sandboxId: old.id })).status).toBe(404);
    const fresh = await runningSandbox(after);
    const asked = await call(after, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId: fresh.id }, run);
    expect(asked).toMatchObject({
      status: 200,
      body: {
        idempotencyKey: run.idempotencyKey,
        created: false,
        status: 'failed',
        error: { message: 'the sandbox that ran this was lost', retryable: true },
      },
    });
    expect(
      (
        await call(after, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', {
          sandboxId: fresh.id,
          runKey: run.idempotencyKey,
        })
      ).body.status,
    ).toBe('failed');
    const ledger = await call(after, 'GET', '/v1/ledger');
    expect(ledger.body.runs).toEqual([
      expect.objectContaining({ idempotencyKey: run.idempotencyKey, sandboxId: old.id, requests: 2 }),
    ]);
    expect(eventsOf(run.idempotencyKey).filter((event) => event.type === 'run.started')).toHaveLength(1);
  });

  it(
    "keeps retrying a run's callbacks until Baton acknowledges " +
      'them (past any budget), and answers its record and events',
    async () => {
      const down = randomUUID();
      // Baton is "down" for this session's run events: 12 refusals each, twice the old retry budget.
      receiver.answer = (event, attempt) =>
        event.sessionId === down && event.type !== 'heartbeat' && attempt <= 12 ? 503 : 204;
      try {
        const { id: sandboxId } = await runningSandbox(plane, down);
        const run = runRequest({
          duration: 50,
          progress: [{ message: 'building', percent: 50 }],
          artifacts: [{ kind: 'report', title: 'Log', content: 'ok' }],
          outcome: 'fail',
          error: 'the deploy was refused: no quota',
        });
        await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, run);
        await eventually(() => finished(run.idempotencyKey), 20_000, 'every event delivered after the outage');
        const events = eventsOf(run.idempotencyKey);
        expect(events.map((event) => event.type)).toEqual([
          'run.started',
          'run.progress',
          'run.artifact',
          'run.failed',
        ]);
        expect(events.map((event) => ('seq' in event ? event.seq : undefined))).toEqual([1, 2, 3, 4]);
        expect(events.at(-1)?.data).toEqual({ error: 'the deploy was refused: no quota', retryable: false });

        const record = await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', {
          sandboxId,
          runKey: run.idempotencyKey,
        });
        expect(record.body).toMatchObject({
          status: 'failed',
          error: { message: 'the deploy was refused: no quota', retryable: false },
          lastSeq: 4,
        });
        const all = await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}/events', {
          sandboxId,
          runKey: run.idempotencyKey,
        });
        expect(all.body.hasMore).toBe(false);
        expect(all.body.events.map((event: { id: string }) => event.id)).toEqual(events.map((event) => event.id));
        const later = await fetch(
          `${plane.url}/v1/sandboxes/${sandboxId}/runs/` +
            `${encodeURIComponent(run.idempotencyKey)}/events?after=2&limit=1`,
        );
        const page = (await later.json()) as { events: { seq: number; type: string }[]; hasMore: boolean };
        expect(page).toMatchObject({ events: [{ seq: 3, type: 'run.artifact' }], hasMore: true });
        expect(receiver.problems).toEqual([]);
      } finally {
        receiver.answer = () => 204;
      }
    },
  );

  it(
    'delivers after a restart of the plane what Baton had ' + 'not acknowledged, and keeps finished runs readable',
    async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'baton-local-sandbox-journal-'));
      tempDirs.push(dataDir);
      const down = randomUUID();
      let baton: 'down' | 'up' = 'down';
      receiver.answer = (event) => (event.sessionId === down && baton === 'down' ? 503 : 204);
      try {
        const before = await startPlane(dataDir);
        const old = await runningSandbox(before, down);
        const ok = runRequest({ progress: [{ message: 'halfway', percent: 50 }], output: { pr: 17 } });
        const bad = runRequest({ outcome: 'fail', error: 'refused for good' });
        await call(before, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId: old.id }, ok);
        await call(before, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId: old.id }, bad);
        await eventually(
          async () =>
            (
              await call(before, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', {
                sandboxId: old.id,
                runKey: bad.idempotencyKey,
              })
            ).body.status === 'failed',
          10_000,
          'both runs finished',
        );
        await before.close();
        expect(eventsOf(ok.idempotencyKey)).toEqual([]);

        baton = 'up';
        const after = await startPlane(dataDir);
        await eventually(
          () => finished(ok.idempotencyKey) && finished(bad.idempotencyKey),
          10_000,
          'the journal delivered after the restart',
        );
        expect(eventsOf(ok.idempotencyKey).map((event) => event.type)).toEqual([
          'run.started',
          'run.progress',
          'run.completed',
        ]);
        expect(eventsOf(ok.idempotencyKey).at(-1)?.data).toEqual({ output: { pr: 17 } });
        expect(eventsOf(bad.idempotencyKey).at(-1)?.data).toEqual({ error: 'refused for good', retryable: false });
        // The sandbox is gone with the old process; what its runs reported is still readable there.
        expect((await call(after, 'GET', '/v1/sandboxes/{sandboxId}/health', { sandboxId: old.id })).status).toBe(404);
        expect(
          (
            await call(after, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', {
              sandboxId: old.id,
              runKey: ok.idempotencyKey,
            })
          ).body,
        ).toMatchObject({ status: 'succeeded', output: { pr: 17 }, lastSeq: 3 });
        expect(
          (
            await call(after, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}', {
              sandboxId: old.id,
              runKey: bad.idempotencyKey,
            })
          ).body,
        ).toMatchObject({ status: 'failed', error: { message: 'refused for good', retryable: false } });
        const events = await call(after, 'GET', '/v1/sandboxes/{sandboxId}/runs/{runKey}/events', {
          sandboxId: old.id,
          runKey: ok.idempotencyKey,
        });
        expect(events.body.events.map((event: { id: string }) => event.id)).toEqual(
          eventsOf(ok.idempotencyKey).map((event) => event.id),
        );
        // Acknowledged now: a third process sends nothing again.
        const delivered = receiver.events.length;
        await after.close();
        await startPlane(dataDir);
        await sleep(1_000); // a silence: what it would resend goes out at once, so this window is ample
        expect(receiver.events.filter((event) => event.sessionId === down)).toHaveLength(
          receiver.events.slice(0, delivered).filter((event) => event.sessionId === down).length,
        );
        expect(receiver.problems).toEqual([]);
      } finally {
        receiver.answer = () => 204;
      }
    },
  );

  it('answers bad input with a 400 naming the field, and never falls over', async () => {
    const { id: sandboxId } = await runningSandbox();
    const badCreate = await call(plane, 'POST', '/v1/sandboxes', {}, { ...specFor(receiver), sessionId: 'not-a-uuid' });
    expect(badCreate).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
    expect(badCreate.body.error.message).toContain('sessionId');
    const badEpoch = await call(plane, 'POST', '/v1/sandboxes', {}, { ...specFor(receiver), epoch: 0 });
    expect(badEpoch.body.error.message).toContain('epoch');
    const badOutcome = await call(
      plane,
      'POST',
      '/v1/sandboxes/{sandboxId}/runs',
      { sandboxId },
      runRequest({ outcome: 'explode' }),
    );
    expect(badOutcome.status).toBe(400);
    expect(badOutcome.body.error.message).toContain('inputs.outcome');
    const { profile: _profile, ...noProfile } = runRequest();
    expect(
      (await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/runs', { sandboxId }, noProfile)).body.error.message,
    ).toContain('profile');
    expect(
      (await call(plane, 'POST', '/v1/sandboxes/{sandboxId}/terminals', { sandboxId }, {})).body.error.message,
    ).toContain('userId');
    expect(await call(plane, 'POST', '/v1/sandboxes', {}, '{not json')).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_json' } },
    });
    expect(await call(plane, 'POST', '/v1/sandboxes', {}, 'x'.repeat(1_048_577))).toMatchObject({
      status: 413,
      body: { error: { code: 'body_too_large' } },
    });

    const unknown = await fetch(`${plane.url}/nowhere`, { method: 'PATCH' });
    expect(unknown.status).toBe(404);
    const unknownBody: unknown = await unknown.json();
    expect(schemaValidator('#/components/schemas/Error')(unknownBody)).toBe(true);
    expect((await call(plane, 'GET', '/v1/sandboxes/{sandboxId}/health', { sandboxId })).status).toBe(200);
  });

  it('requires the bearer token when started with one', async () => {
    const guarded = await startPlane(undefined, 'plane-token');
    expect(await call(guarded, 'GET', '/v1/ledger')).toMatchObject({
      status: 401,
      body: { error: { code: 'unauthorized' } },
    });
    expect((await call(guarded, 'GET', '/v1/ledger', {}, undefined, { authorization: 'Bearer wrong' })).status).toBe(
      401,
    );
    expect(await call(guarded, 'GET', '/v1/ledger', {}, undefined, { authorization: 'Bearer plane-token' })).toEqual({
      status: 200,
      body: { runs: [] },
    });
  });
});
