import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { awaitedTimers, decide, initialState } from '../../../../src/domain/orchestrator/decide.ts';
import type { Command, ExecutionEvent, ExecutionState } from '../../../../src/domain/orchestrator/execution.ts';
import { contextOf, recipe } from './fixtures.ts';

const ctx = contextOf(
  recipe(
    [
      {
        id: 'plan',
        kind: 'agent',
        retry: { maxAttempts: 3, initialMs: 100, factor: 2, maxMs: 1000 },
        timeoutMs: 5_000,
      },
      { id: 'gate', kind: 'approval', quorum: 2, timeoutMs: 60_000, onReject: 'tell' },
      {
        id: 'both',
        kind: 'parallel',
        branches: [
          [{ id: 'x', kind: 'agent' }],
          [
            { id: 'pause', kind: 'wait', forMs: 1000 },
            {
              id: 'comment',
              kind: 'notify',
              channel: 'github',
              target: { kind: 'github', repository: 'acme/api', issue: '7' },
              integration: null,
              retry: { maxAttempts: 2, initialMs: 10, factor: 1, maxMs: 10 },
            },
            { id: 'y', kind: 'agent', retry: { maxAttempts: 2, initialMs: 10, factor: 1, maxMs: 10 } },
          ],
        ],
      },
      { id: 'hook', kind: 'wait', event: { name: 'push', match: "event.branch == 'main'" }, timeoutMs: 30_000 },
      {
        id: 'ping',
        kind: 'notify',
        channel: 'webhook',
        url: 'https://hooks.example.com/x',
        message: 'waited',
        retry: { maxAttempts: 2, initialMs: 10, factor: 1, maxMs: 10 },
      },
      { id: 'route', kind: 'branch', cases: [{ if: 'steps.x.output > 1', goto: 'plan' }], else: 'tell' },
      { id: 'tell', kind: 'notify', message: 'done' },
    ],
    { deadlineMs: 600_000 },
  ),
);

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** A "move" picks what happens next, interpreted against the state and the commands so far. */
const move = fc.record({
  kind: fc.integer({ min: 0, max: 11 }),
  pick: fc.nat(),
  flag: fc.boolean(),
  value: fc.integer({ min: 0, max: 3 }),
  advance: fc.integer({ min: 0, max: 120_000 }),
});

function nextEvent(
  state: ExecutionState,
  commands: Command[],
  m: { kind: number; pick: number; flag: boolean; value: number },
  at: number,
): ExecutionEvent {
  const system = { kind: 'system' as const };
  const person = { kind: 'user' as const, userId: ['ann', 'bob', 'cy'][m.value % 3] ?? 'ann' };
  const running = Object.entries(state.steps).filter(([, s]) => s.status === 'running');
  const target = running[m.pick % Math.max(1, running.length)];
  const timers = commands.flatMap((c) => (c.kind === 'start_timer' ? [c.timer] : []));
  const steps = Object.keys(state.steps);
  const anyStep = steps[m.pick % Math.max(1, steps.length)] ?? 'plan';
  switch (m.kind) {
    case 0:
    case 1:
      // Mostly results for what runs now; sometimes a stale attempt.
      return target === undefined
        ? { type: 'run.started', stepId: 'plan', attempt: 1, at, actor: system }
        : {
            type: 'step.completed',
            stepId: target[0],
            attempt: target[1].attempt - (m.flag && m.value === 3 ? 1 : 0),
            output: m.value,
            at,
            actor: system,
          };
    case 2:
      if (target !== undefined && m.value === 2)
        return {
          type: 'step.lost',
          stepId: target[0],
          attempt: target[1].attempt,
          reason: 'lease ran out',
          at,
          actor: system,
        };
      return target === undefined
        ? { type: 'timer.fired', timer: 'deadline', at, actor: system }
        : {
            type: 'step.failed',
            stepId: target[0],
            attempt: target[1].attempt,
            error: 'boom',
            retryable: m.flag,
            at,
            actor: system,
          };
    case 3:
    case 4:
      return {
        type: 'timer.fired',
        timer: timers[m.pick % Math.max(1, timers.length)] ?? 'deadline',
        at,
        actor: system,
      };
    case 5:
      return {
        type: 'approval.decided',
        stepId: 'gate',
        approved: m.flag || m.value > 0,
        comment: null,
        at,
        actor: person,
      };
    case 6:
      return { type: m.flag ? 'execution.paused' : 'execution.resumed', at, actor: person };
    case 7:
      return { type: 'event.received', name: 'push', payload: { branch: m.flag ? 'main' : 'dev' }, at, actor: system };
    case 8:
      return { type: 'step.retried', stepId: anyStep, at, actor: person };
    case 9:
      return { type: 'step.skipped', stepId: m.flag ? anyStep : 'y', output: m.value, at, actor: person };
    case 10:
      return { type: 'step.input_edited', stepId: 'y', input: { n: m.value }, at, actor: person };
    default:
      return m.flag && m.value === 0
        ? { type: 'execution.cancelled', reason: null, at, actor: person }
        : { type: 'run.started', stepId: anyStep, attempt: 1, at, actor: system };
  }
}

describe('the decider, over random histories', () => {
  it(
    'rebuilds exactly the stored state when the history is replayed, never mutates its input, never ' +
      'reuses an idempotency key, starts nothing while paused, and ignores timers it does not await',
    () => {
      fc.assert(
        fc.property(fc.array(move, { maxLength: 60 }), (moves) => {
          let state = deepFreeze(initialState({ id: 'ex', recipeId: 'r', recipeVersion: 1, startedAt: 0 }));
          let at = 1_000;
          const history: ExecutionEvent[] = [];
          const commands: Command[] = [];
          const apply = (event: ExecutionEvent) => {
            const decided = decide(state, event, ctx);
            // A timer the execution does not await changes nothing but the version: the engine may skip it.
            if (event.type === 'timer.fired' && !awaitedTimers(state).includes(event.timer)) {
              expect(decided.commands).toEqual([]);
              expect({ ...decided.state, version: state.version }).toEqual(state);
            }
            // Nothing new starts while paused: no dispatch, notification or approval request.
            if (state.status === 'paused' && decided.state.status === 'paused')
              expect(
                decided.commands.filter(
                  (c) => c.kind === 'dispatch' || c.kind === 'notify' || c.kind === 'request_approval',
                ),
              ).toEqual([]);
            state = deepFreeze(decided.state);
            history.push(event);
            commands.push(...decided.commands);
          };
          apply({ type: 'execution.started', inputs: {}, at, actor: { kind: 'system' } });
          for (const m of moves) {
            at += m.advance;
            apply(nextEvent(state, commands, m, at));
          }
          // Replay from scratch: the same state, the same commands.
          let replayed = initialState({ id: 'ex', recipeId: 'r', recipeVersion: 1, startedAt: 0 });
          const again: Command[] = [];
          for (const event of history) {
            const decided = decide(replayed, event, ctx);
            replayed = decided.state;
            again.push(...decided.commands);
          }
          expect(replayed).toEqual(state);
          expect(again).toEqual(commands);
          expect(state.version).toBe(history.length);
          const keys = commands.flatMap((c) => (c.kind === 'dispatch' ? [c.key] : []));
          expect(new Set(keys).size).toBe(keys.length);
          // Active steps are exactly the unfinished ones the engine tracks.
          for (const id of state.active)
            expect(['pending', 'scheduled', 'running', 'waiting']).toContain(state.steps[id]?.status);
        }),
        { numRuns: 300 },
      );
    },
  );
});
