import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startLocalSandboxPlane,
  type LocalSandboxPlane,
} from '../../src/adapters/local-sandbox/local-sandbox-plane.ts';
import { HttpSandboxClient } from '../../src/adapters/sandbox-http/http-sandbox-client.ts';
import { HttpSandboxProvisioner } from '../../src/adapters/sandbox-http/http-sandbox-provisioner.ts';
import {
  SandboxRunRefusedError,
  SandboxUnavailableError,
  type SandboxRunRequest,
  type SandboxSpec,
} from '../../src/ports/sandboxes.ts';
import { eventually } from '../support/eventually.ts';
import { silentLogger } from '../support/silent-logger.ts';

// The http adapters against the real local plane: what Baton's sessions code will see.

let plane: LocalSandboxPlane;
let callbacks: Server;
let callbackUrl: string;
const dirs: string[] = [];

async function startPlane(token?: string): Promise<LocalSandboxPlane> {
  const dataDir = await mkdtemp(join(tmpdir(), 'baton-sandbox-http-'));
  dirs.push(dataDir);
  return startLocalSandboxPlane({ port: 0, dataDir, logger: silentLogger, ...(token === undefined ? {} : { token }) });
}

const spec = (sessionId: string = randomUUID(), epoch = 1): SandboxSpec => ({
  sessionId,
  epoch,
  callbackUrl,
  callbackSecret: 'secret',
  heartbeatSeconds: 5,
  env: {},
});
const run = (inputs: Record<string, unknown> = {}, idempotencyKey = `${randomUUID()}/build/1`): SandboxRunRequest => ({
  idempotencyKey,
  profile: { name: 'coder', model: 'model-x', tools: [] },
  prompt: 'fix the build',
  inputs,
  timeoutMs: null,
});

beforeAll(async () => {
  // Baton's side of the callbacks: accept everything (the contract test checks what arrives).
  callbacks = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => callbacks.listen(0, '127.0.0.1', resolve));
  callbackUrl = `http://127.0.0.1:${(callbacks.address() as AddressInfo).port}/v1/sandbox-events`;
  plane = await startPlane();
});

afterAll(async () => {
  await plane.close();
  await new Promise<void>((resolve) => callbacks.close(() => resolve()));
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('HttpSandboxProvisioner and HttpSandboxClient against the local plane', () => {
  it(
    'create waits until running and is idempotent per ' + 'session epoch; inspect and destroy follow the sandbox',
    async () => {
      const provisioner = new HttpSandboxProvisioner({ baseUrl: plane.url });
      const sessionId = randomUUID();
      const handle = await provisioner.create(spec(sessionId, 1));
      expect(handle.url).toBe(`${plane.url}/v1/sandboxes/${handle.sandboxId}`);
      expect(await provisioner.inspect(handle.sandboxId)).toBe('running');
      expect(await provisioner.create(spec(sessionId, 1))).toEqual(handle);
      const nextEpoch = await provisioner.create(spec(sessionId, 2));
      expect(nextEpoch.sandboxId).not.toBe(handle.sandboxId);

      await provisioner.destroy(handle.sandboxId);
      expect(await provisioner.inspect(handle.sandboxId)).toBe('gone');
      await provisioner.destroy(handle.sandboxId); // already gone: fine
      await provisioner.destroy(nextEpoch.sandboxId);
    },
  );

  it('starts, inspects and cancels runs, opens terminals and checks health', async () => {
    const provisioner = new HttpSandboxProvisioner({ baseUrl: plane.url });
    const client = new HttpSandboxClient();
    const sandbox = await provisioner.create(spec());
    expect(await client.healthy(sandbox)).toBe(true);

    const quick = run({ duration: 20 });
    expect(await client.startRun(sandbox, quick)).toEqual({
      idempotencyKey: quick.idempotencyKey,
      status: 'running',
      created: true,
    });
    expect(await client.startRun(sandbox, quick)).toMatchObject({
      idempotencyKey: quick.idempotencyKey,
      created: false,
    });
    await eventually(
      async () => (await client.inspectRun(sandbox, quick.idempotencyKey))?.status === 'succeeded',
      10_000,
      'the run to succeed',
    );
    expect(await client.inspectRun(sandbox, `${randomUUID()}/build/1`)).toBeUndefined();

    const hanging = run({ outcome: 'hang' });
    await client.startRun(sandbox, hanging);
    expect(await client.inspectRun(sandbox, hanging.idempotencyKey)).toEqual({
      idempotencyKey: hanging.idempotencyKey,
      status: 'running',
      created: false,
      lastSeq: 1,
    });
    await client.cancelRun(sandbox, hanging.idempotencyKey);
    await client.cancelRun(sandbox, hanging.idempotencyKey); // idempotent
    expect((await client.inspectRun(sandbox, hanging.idempotencyKey))?.status).toBe('cancelled');
    await client.cancelRun(sandbox, `${randomUUID()}/never/1`); // unknown run: nothing to cancel

    const { attachUrl } = await client.openTerminal(sandbox, { userId: 'user-1' });
    expect(attachUrl).toMatch(/^ws:\/\//);

    // A run the sandbox refuses for good (a 400) is refused with its message, not retryable, not an outage.
    const refused = client.startRun(sandbox, run({ outcome: 'explode' }));
    await expect(refused).rejects.toThrow(/refused the run \(400\): .*inputs\.outcome/);
    await expect(refused).rejects.toBeInstanceOf(SandboxRunRefusedError);
    await expect(refused).rejects.toMatchObject({ retryable: false });

    await provisioner.destroy(sandbox.sandboxId);
    expect(await client.healthy(sandbox)).toBe(false);
    await expect(client.startRun(sandbox, run())).rejects.toBeInstanceOf(SandboxUnavailableError);
    // What finished there stays readable (the local plane keeps it); anything else is gone with it.
    expect(await client.inspectRun(sandbox, quick.idempotencyKey)).toMatchObject({ status: 'succeeded' });
    await expect(client.inspectRun(sandbox, `${randomUUID()}/build/1`)).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(client.cancelRun(sandbox, quick.idempotencyKey)).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(client.openTerminal(sandbox, { userId: 'user-1' })).rejects.toBeInstanceOf(SandboxUnavailableError);
  });

  it("reads a finished run's output, its real error and retryability, and its events after a cursor", async () => {
    const provisioner = new HttpSandboxProvisioner({ baseUrl: plane.url });
    const client = new HttpSandboxClient();
    const sandbox = await provisioner.create(spec());
    const ok = run({
      progress: [{ message: 'cloned', percent: 30 }],
      artifacts: [{ kind: 'link', title: 'PR', url: 'https://example.com/pr/1' }],
      output: { pr: 1 },
    });
    const bad = run({ outcome: 'fail', error: 'the repository is archived' });
    const flaky = run({ outcome: 'fail-retryable', error: 'the registry timed out' });
    for (const r of [ok, bad, flaky]) await client.startRun(sandbox, r);
    await eventually(
      async () => (await client.inspectRun(sandbox, flaky.idempotencyKey))?.status === 'failed',
      10_000,
      'the runs to end',
    );
    expect(await client.inspectRun(sandbox, ok.idempotencyKey)).toEqual({
      idempotencyKey: ok.idempotencyKey,
      status: 'succeeded',
      created: false,
      output: { pr: 1 },
      lastSeq: 4,
    });
    expect(await client.inspectRun(sandbox, bad.idempotencyKey)).toMatchObject({
      status: 'failed',
      error: { message: 'the repository is archived', retryable: false },
    });
    expect(await client.inspectRun(sandbox, flaky.idempotencyKey)).toMatchObject({
      status: 'failed',
      error: { message: 'the registry timed out', retryable: true },
    });

    const events = await client.runEvents(sandbox, ok.idempotencyKey, 0);
    expect(events?.map((e) => [e.seq, e.type])).toEqual([
      [1, 'run.started'],
      [2, 'run.progress'],
      [3, 'run.artifact'],
      [4, 'run.completed'],
    ]);
    expect(events?.at(-1)).toMatchObject({ runKey: ok.idempotencyKey, data: { output: { pr: 1 } } });
    expect((await client.runEvents(sandbox, ok.idempotencyKey, 2))?.map((e) => e.seq)).toEqual([3, 4]);
    expect(await client.runEvents(sandbox, ok.idempotencyKey, 4)).toEqual([]);
    expect(await client.runEvents(sandbox, `${randomUUID()}/build/1`, 0)).toBeUndefined();
    await provisioner.destroy(sandbox.sandboxId);
  });

  it('reports a crashed sandbox as gone and unavailable', async () => {
    const provisioner = new HttpSandboxProvisioner({ baseUrl: plane.url });
    const client = new HttpSandboxClient();
    const sandbox = await provisioner.create(spec());
    await client.startRun(sandbox, run({ outcome: 'crash', duration: 20 }));
    await eventually(
      async () => (await provisioner.inspect(sandbox.sandboxId)) === 'gone',
      10_000,
      'the sandbox to be gone',
    );
    expect(await client.healthy(sandbox)).toBe(false);
    await expect(client.startRun(sandbox, run())).rejects.toBeInstanceOf(SandboxUnavailableError);
  });

  it('sends the plane token, and reports a refused token as an error (not an outage)', async () => {
    const guarded = await startPlane('plane-token');
    try {
      await expect(new HttpSandboxProvisioner({ baseUrl: guarded.url }).create(spec())).rejects.toThrow(/401/);
      const provisioner = new HttpSandboxProvisioner({ baseUrl: guarded.url, token: 'plane-token' });
      const client = new HttpSandboxClient({ token: 'plane-token' });
      const sandbox = await provisioner.create(spec());
      expect(await client.healthy(sandbox)).toBe(true);
      expect(await new HttpSandboxClient().healthy(sandbox)).toBe(false);
      expect((await client.startRun(sandbox, run())).created).toBe(true);
    } finally {
      await guarded.close();
    }
  });

  it('turns 5xx answers and timeouts into SandboxUnavailableError, and rethrows a caller abort as is', async () => {
    const down = (async () =>
      Response.json({ error: { code: 'internal', message: 'plane down' } }, { status: 503 })) as typeof fetch;
    const provisioner = new HttpSandboxProvisioner({ baseUrl: 'http://plane.invalid', fetch: down });
    await expect(provisioner.create(spec())).rejects.toThrow(SandboxUnavailableError);
    await expect(provisioner.inspect('sbx-1')).rejects.toThrow(/plane down/);
    const client = new HttpSandboxClient({ fetch: down });
    await expect(
      client.startRun({ sandboxId: 'sbx-1', url: 'http://plane.invalid/v1/sandboxes/sbx-1' }, run()),
    ).rejects.toBeInstanceOf(SandboxUnavailableError);

    // A plane that never answers: the request's own timeout ends the wait.
    const silent = ((_url: string, init: RequestInit) =>
      new Promise((_resolve, reject) =>
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
      )) as typeof fetch;
    await expect(
      new HttpSandboxProvisioner({ baseUrl: 'http://plane.invalid', fetch: silent, timeoutMs: 50 }).inspect('sbx-1'),
    ).rejects.toBeInstanceOf(SandboxUnavailableError);

    const aborted = new AbortController();
    const reason = new Error('the caller gave up');
    aborted.abort(reason);
    await expect(new HttpSandboxProvisioner({ baseUrl: plane.url }).create(spec(), aborted.signal)).rejects.toBe(
      reason,
    );
  });

  it('reports a plane that is not there as SandboxUnavailableError', async () => {
    const gone = await startPlane();
    const provisioner = new HttpSandboxProvisioner({ baseUrl: gone.url, timeoutMs: 5_000 });
    const client = new HttpSandboxClient({ timeoutMs: 5_000 });
    const sandbox = await provisioner.create(spec());
    await gone.close();
    await expect(provisioner.create(spec())).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(provisioner.inspect(sandbox.sandboxId)).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(provisioner.destroy(sandbox.sandboxId)).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(client.startRun(sandbox, run())).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(client.inspectRun(sandbox, 'x/y/1')).rejects.toBeInstanceOf(SandboxUnavailableError);
    expect(await client.healthy(sandbox)).toBe(false);
  });
});
