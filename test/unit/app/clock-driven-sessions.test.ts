import { describe, expect, it } from 'vitest';
import { UnauthenticatedError } from '../../../src/domain/errors.ts';
import type { Session } from '../../../src/domain/sessions/session.ts';
import { signCallback } from '../../../src/app/sessions/callback-signature.ts';
import {
  receiveSandboxCallback,
  type SandboxEventDeps,
  type SecretCache,
} from '../../../src/app/sessions/sandbox-events.ts';
import { SessionManager, type SessionManagerDeps } from '../../../src/app/sessions/session-manager.ts';
import type { SandboxRunStore, SessionOwner, SessionStore } from '../../../src/ports/sessions.ts';
import { FakeClock } from '../../support/fake-clock.ts';
import { silentLogger } from '../../support/silent-logger.ts';

// Time-dependent paths of sessions driven by a clock the test moves by hand: nothing sleeps for real.

const owner: SessionOwner = { workspaceId: 'w1', dashboardId: 'd1', executionId: 'e1', purpose: 'execution' };

function session(status: Session['status'], at: number, sandbox?: { id: string; url: string }): Session {
  return {
    id: 's1',
    ...owner,
    status,
    epoch: 1,
    sandboxId: sandbox?.id ?? null,
    sandboxUrl: sandbox?.url ?? null,
    region: null,
    leaseExpiresAt: null,
    lastActiveAt: at,
    epochStartedAt: at,
    readyAt: null,
    endedAt: null,
    endedReason: null,
    createdAt: at,
  };
}

/** Only what the paths under test call; anything else is a bug in the test (it throws). */
function only<T extends object>(members: Partial<T>): T {
  return new Proxy(members, {
    get: (target, name) => {
      if (name in target) return target[name as keyof typeof target];
      if (name === 'then') return undefined;
      throw new Error(`unexpected call of ${String(name)}`);
    },
  }) as T;
}

describe('waiting for a session another process provisions', () => {
  it('polls on the clock it was given: once per 200 ms of it, and returns when the session is ready', async () => {
    const clock = new FakeClock();
    const at = clock.now().getTime();
    let polls = 0;
    const sessions = only<SessionStore>({
      ensure: async () => session('provisioning', at),
      get: async () =>
        ++polls < 3 ? session('provisioning', at) : session('ready', at, { id: 'sb', url: 'http://sb' }),
    });
    const deps: SessionManagerDeps = {
      sessions,
      runs: only<SandboxRunStore>({}),
      provisioner: only({}),
      client: only({}),
      clock,
      timers: clock,
      logger: silentLogger,
      policy: { idleMs: 60_000, maxLifetimeMs: 3_600_000, leaseMs: 30_000, provisionTimeoutMs: 60_000 },
      callbackUrl: 'http://baton/v1/sandbox-events',
      heartbeatSeconds: 10,
      maxPerWorkspace: 5,
    };
    let ready: { session: Session } | undefined;
    const waiting = new SessionManager(deps).ensureReady(owner).then((r) => (ready = r));

    await clock.advance(199);
    expect(polls).toBe(0);
    await clock.advance(1);
    expect(polls).toBe(1);
    await clock.advance(200);
    expect(polls).toBe(2);
    expect(ready).toBeUndefined();
    await clock.advance(200);
    expect(polls).toBe(3);
    expect(ready?.session.status).toBe('ready');
    expect(await waiting).toMatchObject({ handle: { sandboxId: 'sb', url: 'http://sb' } });
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('the sandbox callback replay window', () => {
  const secret = 'callback-secret';
  const heartbeat = {
    id: 'ev1',
    sessionId: 's1',
    epoch: 1,
    sandboxId: 'sb',
    at: '2026-03-01T12:00:00.000Z',
    type: 'heartbeat' as const,
    data: {},
  };
  const body = JSON.stringify(heartbeat);

  function callbackDeps(wallClock: FakeClock, clock: FakeClock) {
    const recorded: Array<{ leaseUntil: Date }> = [];
    const deps: SandboxEventDeps = {
      sessions: only<SessionStore>({}),
      runs: only<SandboxRunStore>({ recordPlain: async (record) => (recorded.push(record), true) }),
      clock,
      wallClock,
      logger: silentLogger,
      runner: only({}),
      leaseMs: 30_000,
      secrets: only<SecretCache>({ get: async () => ({ secret, epoch: 1, status: 'ready', executionId: null }) }),
    };
    return { deps, recorded };
  }

  it('is counted on the wall clock, not on the clock a test moves to expire leases', async () => {
    const wall = new FakeClock(Date.parse('2026-03-01T12:00:00Z'));
    // Baton's own time, a day ahead (as a test expiring leases sets it): the window must not follow it.
    const leases = new FakeClock(Date.parse('2026-03-02T12:00:00Z'));
    const { deps, recorded } = callbackDeps(wall, leases);
    const headers = await signCallback(secret, body, wall.now().getTime());

    await receiveSandboxCallback(deps, heartbeat, body, headers);
    expect(recorded.map((r) => r.leaseUntil.toISOString())).toEqual(['2026-03-02T12:00:30.000Z']);

    await wall.advance(5 * 60_000);
    await receiveSandboxCallback(deps, heartbeat, body, headers);
    expect(recorded).toHaveLength(2);

    await wall.advance(1_000);
    await expect(receiveSandboxCallback(deps, heartbeat, body, headers)).rejects.toThrow(UnauthenticatedError);
    await expect(receiveSandboxCallback(deps, heartbeat, body, headers)).rejects.toThrow(/replay window/);
    expect(recorded).toHaveLength(2);
  });
});
