import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  afterEvent,
  canHappen,
  canTransition,
  finishedStatuses,
  sessionEvents,
  sessionStatuses,
  transitionsInto,
  type SessionEvent,
} from '../../../../src/domain/sessions/session-machine.ts';
import {
  liveStatuses,
  reapDecision,
  type Session,
  type SessionStatus,
} from '../../../../src/domain/sessions/session.ts';

const events = Object.keys(sessionEvents) as SessionEvent[];
const anEvent = fc.constantFrom(...events);
const aStatus = fc.constantFrom(...sessionStatuses);

describe('the session state machine', () => {
  it('gives each transition the "from" list the use cases and the reaper compare and set on', () => {
    // These are the lists session-manager.ts and reaper.ts passed by hand before the machine was a table.
    expect(transitionsInto('provisioning')).toEqual(['requested', 'ended', 'lost', 'failed']);
    expect(transitionsInto('ready')).toEqual(['provisioning', 'idle']);
    expect(transitionsInto('idle')).toEqual(['ready']);
    expect(transitionsInto('stopping')).toEqual(['requested', 'provisioning', 'ready', 'idle']);
    expect(transitionsInto('ended')).toEqual(['stopping']);
    expect(transitionsInto('lost')).toEqual(['provisioning', 'ready', 'idle', 'stopping']);
    expect(transitionsInto('failed')).toEqual(['requested', 'provisioning']);
    expect(transitionsInto('requested')).toEqual([]);
  });

  it('has no way back to requested, and loses only a session that has (or gets) a sandbox', () => {
    for (const from of sessionStatuses) expect(canTransition(from, 'requested')).toBe(false);
    expect(canTransition('requested', 'lost')).toBe(false);
    expect(canTransition('ended', 'ready')).toBe(false);
    expect(afterEvent('ready', 'provision')).toBeUndefined();
    expect(afterEvent('failed', 'provision')).toBe('provisioning');
  });

  it('counts against the workspace limit exactly the statuses that are not finished', () => {
    expect([...liveStatuses].sort()).toEqual(sessionStatuses.filter((s) => !finishedStatuses.includes(s)).sort());
  });

  it('lets every live status reach a finished one (no live dead end)', () => {
    for (const start of liveStatuses) {
      const seen = new Set<SessionStatus>([start]);
      const queue = [start];
      for (let at = queue.shift(); at !== undefined; at = queue.shift())
        for (const event of events) {
          const next = afterEvent(at, event);
          if (next !== undefined && !seen.has(next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      expect(
        finishedStatuses.some((s) => seen.has(s)),
        start,
      ).toBe(true);
    }
  });

  it('moves from one status to another exactly when some event does (property)', () => {
    fc.assert(
      fc.property(aStatus, aStatus, (from, to) => {
        expect(canTransition(from, to)).toBe(events.some((event) => afterEvent(from, event) === to));
        expect(transitionsInto(to).includes(from)).toBe(canTransition(from, to));
      }),
    );
  });

  it('keeps its invariants along any sequence of events (property: random walks)', () => {
    fc.assert(
      fc.property(fc.array(anEvent, { maxLength: 60 }), (walk) => {
        let status: SessionStatus = 'requested';
        let epoch = 0;
        // Whether this epoch went through provisioning: a usable sandbox is only reached that way.
        let provisionedThisEpoch = false;
        let provisionings = 0;
        for (const event of walk) {
          const next = afterEvent(status, event);
          if (next === undefined) {
            expect(canHappen(event, status)).toBe(false);
            continue;
          }
          const newEpoch = sessionEvents[event].newEpoch;
          // Only provisioning begins an epoch, and a finished session is left only by a new epoch.
          expect(newEpoch).toBe(event === 'provision');
          if (finishedStatuses.includes(status)) expect(newEpoch).toBe(true);
          // A session holding a sandbox (or getting one) is never provisioned a second one.
          if (newEpoch) expect(status === 'requested' || finishedStatuses.includes(status)).toBe(true);
          if (newEpoch) {
            epoch += 1;
            provisionedThisEpoch = false;
          }
          if (next === 'provisioning') {
            provisionedThisEpoch = true;
            provisionings += 1;
          }
          if (next === 'ready' || next === 'idle') expect(provisionedThisEpoch).toBe(true);
          expect(next).not.toBe('requested');
          status = next;
        }
        // Each epoch is one provisioning: an epoch's reports are refused once it was replaced.
        expect(epoch).toBe(provisionings);
      }),
      { numRuns: 2_000 },
    );
  });

  it('lets the reaper decide only what the machine allows from the session status (property)', () => {
    const policy = { idleMs: 600_000, maxLifetimeMs: 3_600_000, leaseMs: 30_000, provisionTimeoutMs: 120_000 };
    const t0 = 1_800_000_000_000;
    const time = fc.option(fc.integer({ min: t0 - 4_000_000, max: t0 + 4_000_000 }), { nil: null });
    const session = fc.record({
      status: aStatus,
      purpose: fc.constantFrom('execution' as const, 'terminal' as const),
      sandboxUrl: fc.option(fc.constant('http://sb'), { nil: null }),
      leaseExpiresAt: time,
      epochStartedAt: time,
      lastActiveAt: fc.integer({ min: t0 - 4_000_000, max: t0 }),
    });
    const load = fc.record({ runsInFlight: fc.nat(3), viewers: fc.nat(3) });
    fc.assert(
      fc.property(session, load, (fields, work) => {
        const decision = reapDecision(
          {
            id: 's',
            workspaceId: 'w',
            dashboardId: 'd',
            executionId: null,
            epoch: 1,
            sandboxId: fields.sandboxUrl === null ? null : 'sb',
            region: null,
            readyAt: null,
            endedAt: null,
            endedReason: null,
            createdAt: t0 - 4_000_000,
            ...fields,
          } satisfies Session,
          t0,
          work,
          policy,
        );
        const { status } = fields;
        if (decision.action === 'fail') expect(canHappen('fail', status)).toBe(true);
        if (decision.action === 'lose') expect(canHappen('lose', status)).toBe(true);
        if (decision.action === 'stop') expect(canHappen('stop', status)).toBe(true);
        if (decision.action === 'touch') expect(['ready', 'idle']).toContain(status);
      }),
      { numRuns: 5_000 },
    );
  });
});
