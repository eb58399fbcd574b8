import { describe, expect, it } from 'vitest';
import { initialState } from '../../../../src/domain/orchestrator/decide.ts';
import type { ExecutionState } from '../../../../src/domain/orchestrator/execution.ts';
import {
  overlapDecision,
  planDueFires,
  previousRunOf,
  type OverlapPolicy,
  type PreviousRun,
} from '../../../../src/domain/schedules/policy.ts';

/** A controllable clock: fire times a few minutes apart, "now" wherever the test puts it. */
const t = (minutes: number) => new Date(Date.UTC(2026, 10, 24, 2, 0) + minutes * 60_000);
const grace = 60_000;
const runs = (plan: ReturnType<typeof planDueFires>) => plan.filter((p) => p.run).map((p) => p.fireAt.getTime());

describe('catch-up after downtime', () => {
  const due = [t(0), t(5), t(10), t(15)];

  it('runs on-time fires whatever the policy', () => {
    for (const mode of ['none', 'latest', 'all'] as const)
      expect(runs(planDueFires([t(15)], t(15.5), { mode, limit: 10 }, grace))).toEqual([t(15).getTime()]);
  });

  it('none: every missed fire is recorded as missed, none runs', () => {
    const plan = planDueFires(due.slice(0, 3), t(20), { mode: 'none', limit: 10 }, grace);
    expect(runs(plan)).toEqual([]);
    expect(plan.every((p) => p.reason?.includes('missed'))).toBe(true);
  });

  it('latest: only the newest missed fire runs, or none when an on-time fire runs', () => {
    expect(runs(planDueFires(due.slice(0, 3), t(20), { mode: 'latest', limit: 10 }, grace))).toEqual([t(10).getTime()]);
    expect(runs(planDueFires(due, t(15.5), { mode: 'latest', limit: 10 }, grace))).toEqual([t(15).getTime()]);
  });

  it('all: the newest missed fires up to the bound run, in order', () => {
    expect(runs(planDueFires(due.slice(0, 3), t(20), { mode: 'all', limit: 10 }, grace))).toEqual(
      [t(0), t(5), t(10)].map((d) => d.getTime()),
    );
    expect(runs(planDueFires(due.slice(0, 3), t(20), { mode: 'all', limit: 2 }, grace))).toEqual(
      [t(5), t(10)].map((d) => d.getTime()),
    );
  });
});

describe('overlap', () => {
  const table: Array<[OverlapPolicy, PreviousRun, string]> = [
    ['skip', 'working', 'skip'],
    ['skip', 'waiting-for-human', 'skip'],
    ['skip', 'finished', 'start'],
    ['queue-one', 'working', 'queue'],
    ['allow', 'working', 'start'],
    ['cancel-previous', 'working', 'cancel-previous'],
    ['cancel-previous', 'none', 'start'],
    ['skip-while-working', 'working', 'skip'],
    ['skip-while-working', 'waiting-for-human', 'start'],
  ];
  it.each(table)('%s with a previous run that is %s: %s', (policy, previous, expected) => {
    expect(overlapDecision(policy, previous)).toBe(expected);
  });

  it('tells a run waiting for a person from one at work', () => {
    const base = initialState({ id: 'e', recipeId: 'r', recipeVersion: 1, startedAt: 0 });
    const kinds: Record<string, string> = { gate: 'approval', nap: 'wait', build: 'agent' };
    const state = (status: ExecutionState['status'], steps: Record<string, string>): ExecutionState => ({
      ...base,
      status,
      active: Object.keys(steps),
      steps: Object.fromEntries(
        Object.entries(steps).map(([id, s]) => [
          id,
          { ...(base.steps[id] ?? {}), status: s } as ExecutionState['steps'][string],
        ]),
      ),
    });
    const of = (s: ExecutionState) => previousRunOf(s, (id) => kinds[id]);
    expect(of(state('waiting', { gate: 'waiting' }))).toBe('waiting-for-human');
    expect(of(state('paused', { build: 'running' }))).toBe('waiting-for-human');
    expect(of(state('waiting', { gate: 'waiting', nap: 'waiting' }))).toBe('working');
    expect(of(state('running', { build: 'running' }))).toBe('working');
    expect(of(state('succeeded', {}))).toBe('finished');
  });
});
