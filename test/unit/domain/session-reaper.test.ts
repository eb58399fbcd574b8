import { describe, expect, it } from 'vitest';
import { reapDecision, type Session } from '../../../src/domain/sessions/session.ts';

const minute = 60_000;
const policy = { idleMs: 10 * minute, maxLifetimeMs: 60 * minute, leaseMs: 30_000, provisionTimeoutMs: 2 * minute };
const t0 = 1_800_000_000_000;
const session = (over: Partial<Session> = {}): Session => ({
  id: 's1',
  workspaceId: 'w',
  dashboardId: 'd',
  executionId: 'e',
  purpose: 'execution',
  status: 'ready',
  epoch: 1,
  sandboxId: 'sb',
  sandboxUrl: 'http://sb',
  region: null,
  leaseExpiresAt: t0 + 30_000,
  lastActiveAt: t0,
  epochStartedAt: t0,
  readyAt: t0,
  endedAt: null,
  endedReason: null,
  createdAt: t0,
  ...over,
});
const idle = { runsInFlight: 0, viewers: 0 };

describe('the session reaper rule, on a controllable clock', () => {
  it('keeps a session with work, stops one idle past the limit', () => {
    expect(reapDecision(session({ leaseExpiresAt: null }), t0 + 9 * minute, idle, policy)).toEqual({ action: 'keep' });
    expect(reapDecision(session({ leaseExpiresAt: null }), t0 + 11 * minute, idle, policy)).toEqual({
      action: 'stop',
      reason: 'idle',
    });
    expect(
      reapDecision(session({ leaseExpiresAt: null }), t0 + 11 * minute, { runsInFlight: 1, viewers: 0 }, policy),
    ).toEqual({ action: 'keep' });
  });

  it('stops a session past its lifetime once no run is in flight', () => {
    const old = session({ leaseExpiresAt: null, lastActiveAt: t0 + 60 * minute });
    expect(reapDecision(old, t0 + 61 * minute, { runsInFlight: 1, viewers: 0 }, policy)).toEqual({ action: 'keep' });
    expect(reapDecision(old, t0 + 61 * minute, idle, policy)).toEqual({ action: 'stop', reason: 'lifetime' });
  });

  it('lets viewers keep a terminal session alive, refreshing it; an execution session ignores viewers', () => {
    const terminal = session({ purpose: 'terminal', executionId: null, leaseExpiresAt: null });
    expect(reapDecision(terminal, t0 + 11 * minute, { runsInFlight: 0, viewers: 2 }, policy)).toEqual({
      action: 'touch',
    });
    expect(reapDecision(terminal, t0 + 2 * minute, { runsInFlight: 0, viewers: 2 }, policy)).toEqual({
      action: 'keep',
    });
    expect(reapDecision(terminal, t0 + 11 * minute, idle, policy)).toEqual({ action: 'stop', reason: 'idle' });
    expect(
      reapDecision(session({ leaseExpiresAt: null }), t0 + 11 * minute, { runsInFlight: 0, viewers: 2 }, policy),
    ).toEqual({ action: 'stop', reason: 'idle' });
  });

  it('loses a session whose lease ran out, even with work in flight', () => {
    expect(reapDecision(session(), t0 + 31_000, { runsInFlight: 1, viewers: 0 }, policy)).toEqual({
      action: 'lose',
      reason: 'no heartbeat within the lease',
    });
  });

  it('fails provisioning that takes too long; leaves ended sessions alone', () => {
    expect(reapDecision(session({ status: 'provisioning', sandboxUrl: null }), t0 + minute, idle, policy)).toEqual({
      action: 'keep',
    });
    expect(
      reapDecision(session({ status: 'provisioning', sandboxUrl: null }), t0 + 3 * minute, idle, policy),
    ).toMatchObject({ action: 'fail' });
    expect(reapDecision(session({ status: 'ended' }), t0 + 100 * minute, idle, policy)).toEqual({ action: 'keep' });
  });
});
