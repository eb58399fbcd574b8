import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlySandboxProvisioner } from '../../src/adapters/fly/fly-sandbox-provisioner.ts';
import { SandboxUnavailableError } from '../../src/domain/errors.ts';
import type { SandboxSpec } from '../../src/ports/sandboxes.ts';
import { eventually } from '../support/eventually.ts';
import { startFlyStandIn, type FlyStandIn } from '../support/fly-stand-in.ts';

const token = 'fly-test-token';
const app = 'baton-sandboxes';
const image = 'registry.fly.io/baton-sandbox:1.2.0';

let fly: FlyStandIn;
beforeEach(async () => {
  // One stand-in "second" of a wait is 5 ms, so a wait that outlasts the start answers 408 quickly.
  fly = await startFlyStandIn({ token, app, startDelayMs: 20, waitSecondMs: 5 });
});
afterEach(async () => fly.close());

const provisioner = (
  overrides: Partial<ConstructorParameters<typeof FlySandboxProvisioner>[0]> = {},
): FlySandboxProvisioner =>
  new FlySandboxProvisioner({
    apiUrl: fly.url,
    token,
    app,
    image,
    region: 'ams',
    guest: { cpus: 2, memoryMb: 2048, cpuKind: 'shared' },
    ...overrides,
  });

let sessions = 0;
function spec(overrides: Partial<SandboxSpec> = {}): SandboxSpec {
  sessions += 1;
  return {
    sessionId: `3f2a9c1e-0000-4000-8000-${String(sessions).padStart(12, '0')}`,
    epoch: 1,
    callbackUrl: 'https://baton.example/v1/sandbox-events',
    callbackSecret: 'callback-secret-value',
    heartbeatSeconds: 15,
    env: { REPO_URL: 'https://git.example/repo.git' },
    ...overrides,
  };
}

const live = (sessionId: string) =>
  [...fly.machines.values()].filter((m) => m.config.metadata?.baton_session === sessionId && m.state !== 'destroyed');

describe('FlySandboxProvisioner against a Machines API stand-in', () => {
  it(
    'creates a machine with the image, env, metadata ' + 'and size Fly expects, and waits until it has started',
    async () => {
      const s = spec({ epoch: 3 });
      const handle = await provisioner().create(s);

      const creates = fly.requests.filter((r) => r.method === 'POST' && r.path === `/v1/apps/${app}/machines`);
      expect(creates).toHaveLength(1);
      expect(creates[0]?.body).toEqual({
        name: 'baton-3f2a9c1e-3',
        region: 'ams',
        config: {
          image,
          env: {
            REPO_URL: 'https://git.example/repo.git',
            BATON_SESSION_ID: s.sessionId,
            BATON_SESSION_EPOCH: '3',
            BATON_CALLBACK_URL: s.callbackUrl,
            BATON_CALLBACK_SECRET: s.callbackSecret,
            BATON_HEARTBEAT_SECONDS: '15',
          },
          metadata: { baton_session: s.sessionId, baton_epoch: '3' },
          auto_destroy: true,
          restart: { policy: 'no' },
          guest: { cpu_kind: 'shared', cpus: 2, memory_mb: 2048 },
        },
      });
      const machine = fly.machines.get(handle.sandboxId);
      expect(machine?.state).toBe('started');
      expect(handle.url).toBe(`http://[${machine?.private_ip}]:8080`);
      // The session records where its sandbox runs: the machine's region as Fly reports it.
      expect(handle.region).toBe('ams');
      const wait = fly.requests.find((r) => r.path.endsWith(`/${handle.sandboxId}/wait`));
      expect(wait?.query).toMatchObject({ state: 'started', instance_id: machine?.instance_id });
    },
  );

  it('keeps waiting through Fly’s 408 wait timeouts until the machine starts', async () => {
    fly.startDelayMs = 'manual';
    const creating = provisioner().create(spec());
    const waits = () => fly.requests.filter((r) => r.path.endsWith('/wait'));
    await eventually(() => waits().length >= 2, 20_000, 'a second wait after a 408');
    const id = [...fly.machines.keys()][0] ?? '';
    fly.setState(id, 'started');
    await expect(creating).resolves.toMatchObject({ sandboxId: id });
  });

  it('uses the configured URL form and sandbox port', async () => {
    const handle = await provisioner({ urlFor: (m) => `http://${m.id}.vm.${app}.internal:9000` }).create(spec());
    expect(handle.url).toBe(`http://${handle.sandboxId}.vm.${app}.internal:9000`);
    const other = await provisioner({ sandboxPort: 7000 }).create(spec());
    expect(other.url).toMatch(/^http:\/\/\[fdaa:[0-9a-f:]+\]:7000$/);
  });

  it('creates one machine per session epoch, however often it is asked', async () => {
    const s = spec();
    const first = await provisioner().create(s);
    const again = await provisioner().create(s);
    expect(again).toEqual(first);
    const [x, y] = await Promise.all([
      provisioner().create({ ...s, epoch: 2 }),
      provisioner().create({ ...s, epoch: 2 }),
    ]);
    expect(x.sandboxId).toBe(y.sandboxId);
    expect(
      live(s.sessionId)
        .map((m) => m.id)
        .sort(),
    ).toEqual([first.sandboxId, x.sandboxId].sort());
  });

  it('refuses to bring back an epoch whose machine has ended', async () => {
    const s = spec();
    const handle = await provisioner().create(s);
    fly.setState(handle.sandboxId, 'destroyed');
    await expect(provisioner().create(s)).rejects.toBeInstanceOf(SandboxUnavailableError);
    expect(live(s.sessionId)).toEqual([]);
  });

  it('maps Fly machine states onto sandbox statuses', async () => {
    const p = provisioner();
    const { sandboxId } = await p.create(spec());
    const cases: [string, string][] = [
      ['created', 'starting'],
      ['starting', 'starting'],
      ['replacing', 'starting'],
      ['started', 'running'],
      ['stopping', 'stopping'],
      ['destroying', 'stopping'],
      ['stopped', 'stopped'],
      ['suspended', 'stopped'],
      ['failed', 'stopped'],
      ['destroyed', 'gone'],
    ];
    for (const [state, status] of cases) {
      fly.setState(sandboxId, state);
      expect(await p.inspect(sandboxId), state).toBe(status);
    }
    fly.forget(sandboxId);
    expect(await p.inspect(sandboxId)).toBe('gone');
  });

  it('destroys by stopping, then deleting with force; a gone machine is fine', async () => {
    const p = provisioner();
    const { sandboxId } = await p.create(spec());
    await p.destroy(sandboxId);
    const calls = fly.requests.filter((r) => r.path.endsWith(sandboxId) || r.path.endsWith(`${sandboxId}/stop`));
    expect(calls.slice(-2).map((r) => `${r.method} ${r.path.slice(r.path.lastIndexOf(sandboxId))}`)).toEqual([
      `POST ${sandboxId}/stop`,
      `DELETE ${sandboxId}`,
    ]);
    expect(calls.at(-1)?.query).toEqual({ force: 'true' });
    expect(await p.inspect(sandboxId)).toBe('gone');
    await expect(p.destroy(sandboxId)).resolves.toBeUndefined();
    await expect(p.destroy('0000000000dead')).resolves.toBeUndefined();
  });

  it('says clearly that Fly refused the token, without repeating it', async () => {
    const error = await provisioner({ token: 'wrong-token' })
      .create(spec())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(SandboxUnavailableError);
    expect((error as Error).message).toMatch(/refused the API token/);
    expect((error as Error).message).not.toContain('wrong-token');
  });

  it('reports Fly’s 5xx and unreachable API as an unavailable sandbox', async () => {
    fly.failNextCreate(500);
    await expect(provisioner().create(spec())).rejects.toBeInstanceOf(SandboxUnavailableError);
    await expect(provisioner({ apiUrl: 'http://127.0.0.1:9' }).inspect('1857156b526dd8')).rejects.toBeInstanceOf(
      SandboxUnavailableError,
    );
  });

  it('passes on Fly’s own message for a rejected request, and never the callback secret', async () => {
    fly.failNextCreate(422, 'invalid_argument: guest memory_mb must be a multiple of 256');
    const error = await provisioner()
      .create(spec())
      .catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(SandboxUnavailableError);
    expect((error as Error).message).toContain('memory_mb must be a multiple of 256');
    expect((error as Error).message).not.toContain('callback-secret-value');
  });

  it('inspects a destroyed machine as gone', async () => {
    const p = provisioner();
    const { sandboxId } = await p.create(spec());
    fly.setState(sandboxId, 'destroyed');
    expect(await p.inspect(sandboxId)).toBe('gone');
  });
});
