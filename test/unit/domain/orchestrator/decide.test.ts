import { describe, expect, it } from 'vitest';
import { awaitedTimers, decide, initialState } from '../../../../src/domain/orchestrator/decide.ts';
import {
  runsAttempt,
  type Command,
  type DecideContext,
  type ExecutionEvent,
  type ExecutionState,
} from '../../../../src/domain/orchestrator/execution.ts';
import { retryDelayMs } from '../../../../src/domain/orchestrator/retry.ts';
import { contextOf, recipe } from './fixtures.ts';

type EventBody = ExecutionEvent extends infer E
  ? E extends { type: string }
    ? Omit<E, 'at' | 'actor'>
    : never
  : never;

/** Drives one execution through the decider, keeping its history and every command. */
function run(ctx: DecideContext, inputs: Record<string, unknown> = {}) {
  let state: ExecutionState = initialState({ id: 'ex1', recipeId: 'r1', recipeVersion: 1, startedAt: 0 });
  let now = 1_000;
  const history: ExecutionEvent[] = [];
  const commands: Command[] = [];
  const send = (body: EventBody, by: string | null = null, at = now): Command[] => {
    const event = {
      ...body,
      at,
      actor: by === null ? { kind: 'system' as const } : { kind: 'user' as const, userId: by },
    } as ExecutionEvent;
    const decided = decide(state, event, ctx);
    state = decided.state;
    history.push(event);
    commands.push(...decided.commands);
    return [...decided.commands];
  };
  send({ type: 'execution.started', inputs });
  return {
    send,
    get state() {
      return state;
    },
    history,
    commands,
    advance: (ms: number) => (now += ms),
    dispatches: () => commands.filter((c) => c.kind === 'dispatch'),
  };
}

describe('the orchestrator decider', () => {
  it('runs agent steps in order, templating prompts, and finishes', () => {
    const ex = run(
      contextOf(
        recipe(
          [
            { id: 'a', kind: 'agent', prompt: 'Triage ${inputs.repo}' },
            { id: 'b', kind: 'agent', prompt: 'Then ${steps.a.output.summary}' },
          ],
          { inputs: { repo: { type: 'string', required: true } } },
        ),
      ),
      { repo: 'acme/api' },
    );
    expect(ex.dispatches()).toEqual([expect.objectContaining({ key: 'ex1/a/1', prompt: 'Triage acme/api' })]);
    ex.send({ type: 'step.completed', stepId: 'a', attempt: 1, output: { summary: 'three bugs' } });
    expect(ex.dispatches()[1]).toMatchObject({ key: 'ex1/b/1', prompt: 'Then three bugs' });
    const last = ex.send({ type: 'step.completed', stepId: 'b', attempt: 1, output: null });
    expect(last).toContainEqual({ kind: 'finished', status: 'succeeded' });
    expect(ex.state.status).toBe('succeeded');
  });

  it('retries with a deterministic backoff and a new idempotency key per attempt, then fails', () => {
    const retry = { maxAttempts: 3, initialMs: 10_000, factor: 2, maxMs: 15_000 };
    const ex = run(contextOf(recipe([{ id: 'a', kind: 'agent', retry }])));
    const timer1 = ex.send({ type: 'step.failed', stepId: 'a', attempt: 1, error: 'boom', retryable: true });
    expect(timer1).toEqual([{ kind: 'start_timer', timer: 'retry:a:2', at: 1_000 + 10_000 }]);
    ex.send({ type: 'timer.fired', timer: 'retry:a:2' });
    ex.send({ type: 'step.failed', stepId: 'a', attempt: 2, error: 'boom', retryable: true });
    expect(ex.commands.at(-1)).toEqual({ kind: 'start_timer', timer: 'retry:a:3', at: 1_000 + 15_000 });
    ex.send({ type: 'timer.fired', timer: 'retry:a:3' });
    expect(ex.dispatches().map((d) => d.kind === 'dispatch' && d.key)).toEqual(['ex1/a/1', 'ex1/a/2', 'ex1/a/3']);
    ex.send({ type: 'step.failed', stepId: 'a', attempt: 3, error: 'still boom', retryable: true });
    expect(ex.state).toMatchObject({ status: 'failed', reason: 'step a failed: still boom' });
    expect(retryDelayMs(retry, 2)).toBe(10_000);
    expect(retryDelayMs(retry, 4)).toBe(15_000);
  });

  it('moves an attempt whose sandbox was lost to a new attempt at once, without using up a try, a few times', () => {
    const ex = run(contextOf(recipe([{ id: 'a', kind: 'agent' }])));
    ex.send({ type: 'step.lost', stepId: 'a', attempt: 1, reason: 'lease ran out' });
    expect(ex.dispatches().map((d) => d.kind === 'dispatch' && d.key)).toEqual(['ex1/a/1', 'ex1/a/2']);
    expect(ex.state.steps.a).toMatchObject({ status: 'running', attempt: 2, tries: 1, losses: 1 });
    // A loss of an attempt it no longer waits for changes nothing.
    ex.send({ type: 'step.lost', stepId: 'a', attempt: 1, reason: 'late' });
    expect(ex.dispatches()).toHaveLength(2);
    ex.send({ type: 'step.lost', stepId: 'a', attempt: 2, reason: 'gone' });
    ex.send({ type: 'step.lost', stepId: 'a', attempt: 3, reason: 'gone' });
    expect(ex.dispatches()).toHaveLength(4);
    // The fourth loss is an ordinary failure: with one try allowed, the execution fails.
    ex.send({ type: 'step.lost', stepId: 'a', attempt: 4, reason: 'gone again' });
    expect(ex.state).toMatchObject({ status: 'failed', reason: 'step a failed: the sandbox was lost: gone again' });
  });

  it('ignores results of attempts it no longer waits for', () => {
    const ex = run(
      contextOf(recipe([{ id: 'a', kind: 'agent', retry: { maxAttempts: 2, initialMs: 1, factor: 1, maxMs: 1 } }])),
    );
    ex.send({ type: 'step.failed', stepId: 'a', attempt: 1, error: 'x', retryable: true });
    ex.send({ type: 'timer.fired', timer: 'retry:a:2' });
    expect(ex.send({ type: 'step.completed', stepId: 'a', attempt: 1, output: 'late' })).toEqual([]);
    expect(ex.state.steps.a).toMatchObject({ status: 'running', attempt: 2 });
  });

  it('says which attempt work may be done for: the running one, while the execution goes on', () => {
    const ex = run(
      contextOf(recipe([{ id: 'a', kind: 'agent', retry: { maxAttempts: 2, initialMs: 1, factor: 1, maxMs: 1 } }])),
    );
    expect(runsAttempt(ex.state, 'a', 1)).toBe(true);
    ex.send({ type: 'step.failed', stepId: 'a', attempt: 1, error: 'x', retryable: true });
    // Waiting for its retry: no attempt runs.
    expect(runsAttempt(ex.state, 'a', 1)).toBe(false);
    ex.send({ type: 'timer.fired', timer: 'retry:a:2' });
    expect([runsAttempt(ex.state, 'a', 1), runsAttempt(ex.state, 'a', 2)]).toEqual([false, true]);
    expect(runsAttempt(ex.state, 'b', 2)).toBe(false);
    ex.send({ type: 'step.completed', stepId: 'a', attempt: 2, output: null });
    expect(runsAttempt(ex.state, 'a', 2)).toBe(false);
  });

  it('times a step out: cancels the run and retries', () => {
    const ex = run(
      contextOf(
        recipe([
          { id: 'a', kind: 'agent', timeoutMs: 60_000, retry: { maxAttempts: 2, initialMs: 5, factor: 1, maxMs: 5 } },
        ]),
      ),
    );
    expect(ex.commands).toContainEqual({ kind: 'start_timer', timer: 'timeout:a:1', at: 61_000 });
    const out = ex.send({ type: 'timer.fired', timer: 'timeout:a:1' }, null, 61_000);
    expect(out).toContainEqual({ kind: 'cancel_run', key: 'ex1/a/1', stepId: 'a' });
    expect(out).toContainEqual({ kind: 'start_timer', timer: 'retry:a:2', at: 61_005 });
    // A completed step's timeout timer that fires late does nothing.
    ex.send({ type: 'timer.fired', timer: 'retry:a:2' });
    ex.send({ type: 'step.completed', stepId: 'a', attempt: 2, output: 1 });
    expect(ex.send({ type: 'timer.fired', timer: 'timeout:a:2' })).toEqual([]);
    expect(ex.state.status).toBe('succeeded');
  });

  it('fails the execution at its deadline', () => {
    const ex = run(contextOf(recipe([{ id: 'a', kind: 'agent' }], { deadlineMs: 3_600_000 })));
    expect(ex.commands).toContainEqual({ kind: 'start_timer', timer: 'deadline', at: 3_601_000 });
    const out = ex.send({ type: 'timer.fired', timer: 'deadline' });
    expect(out).toContainEqual({ kind: 'cancel_run', key: 'ex1/a/1', stepId: 'a' });
    expect(ex.state).toMatchObject({ status: 'failed', reason: 'the execution passed its deadline' });
  });

  it('asks for approval with a quorum; one person counts once; a rejection goes to onReject', () => {
    const ctx = contextOf(
      recipe([
        { id: 'gate', kind: 'approval', quorum: 2, onReject: 'tell' },
        { id: 'apply', kind: 'agent', next: null },
        { id: 'tell', kind: 'notify', message: 'rejected' },
      ]),
    );
    const ex = run(ctx);
    expect(ex.commands).toContainEqual({ kind: 'request_approval', stepId: 'gate', prompt: 'ok?', quorum: 2 });
    expect(ex.state.status).toBe('waiting');
    ex.send({ type: 'approval.decided', stepId: 'gate', approved: true, comment: null }, 'ann');
    ex.send({ type: 'approval.decided', stepId: 'gate', approved: true, comment: 'again' }, 'ann');
    expect(ex.state.steps.gate?.status).toBe('waiting');
    ex.send({ type: 'approval.decided', stepId: 'gate', approved: true, comment: 'lgtm' }, 'bob');
    expect(ex.dispatches()).toHaveLength(1);
    expect(ex.state.steps.gate?.output).toMatchObject({ approved: true });

    const rejected = run(ctx);
    rejected.send({ type: 'approval.decided', stepId: 'gate', approved: false, comment: 'no' }, 'ann');
    expect(rejected.commands).toContainEqual(expect.objectContaining({ kind: 'notify', message: 'rejected' }));
    expect(rejected.dispatches()).toHaveLength(0);
    expect(rejected.state.status).toBe('succeeded');
  });

  it('waits for a duration, for a time, and for a matching event', () => {
    const ex = run(
      contextOf(
        recipe([
          { id: 'pause', kind: 'wait', forMs: 3_600_000 },
          { id: 'hook', kind: 'wait', event: { name: 'push', match: "event.branch == 'main'" }, timeoutMs: null },
          { id: 'done', kind: 'notify' },
        ]),
      ),
    );
    expect(ex.commands).toContainEqual({ kind: 'start_timer', timer: 'wait:pause:1', at: 3_601_000 });
    ex.send({ type: 'timer.fired', timer: 'wait:pause:1' });
    expect(ex.state.steps.hook?.status).toBe('waiting');
    ex.send({ type: 'event.received', name: 'push', payload: { branch: 'dev' } });
    ex.send({ type: 'event.received', name: 'deploy', payload: { branch: 'main' } });
    expect(ex.state.steps.hook?.status).toBe('waiting');
    ex.send({ type: 'event.received', name: 'push', payload: { branch: 'main' } });
    expect(ex.state).toMatchObject({ status: 'succeeded', steps: { hook: { output: { event: { branch: 'main' } } } } });
  });

  it('branches on expressions over earlier outputs and loops through a wait', () => {
    const ctx = contextOf(
      recipe([
        { id: 'check', kind: 'agent' },
        { id: 'route', kind: 'branch', cases: [{ if: 'steps.check.output.count > 0', goto: 'fix' }], else: 'done' },
        { id: 'fix', kind: 'agent' },
        { id: 'cool', kind: 'wait', forMs: 1000, next: 'check' },
        { id: 'done', kind: 'notify', message: 'clean' },
      ]),
    );
    const ex = run(ctx);
    ex.send({ type: 'step.completed', stepId: 'check', attempt: 1, output: { count: 2 } });
    ex.send({ type: 'step.completed', stepId: 'fix', attempt: 1, output: null });
    ex.send({ type: 'timer.fired', timer: 'wait:cool:1' });
    // The loop revisits `check`: a new attempt number, so a new idempotency key.
    expect(ex.dispatches().map((d) => d.kind === 'dispatch' && d.key)).toEqual([
      'ex1/check/1',
      'ex1/fix/1',
      'ex1/check/2',
    ]);
    ex.send({ type: 'step.completed', stepId: 'check', attempt: 2, output: { count: 0 } });
    expect(ex.state.status).toBe('succeeded');
    expect(ex.state.steps.route?.output).toEqual({ chosen: 'done' });
  });

  it('runs parallel branches at once and joins them', () => {
    const ex = run(
      contextOf(
        recipe([
          {
            id: 'both',
            kind: 'parallel',
            branches: [
              [{ id: 'x', kind: 'agent' }],
              [
                { id: 'y1', kind: 'agent' },
                { id: 'y2', kind: 'agent' },
              ],
            ],
          },
          { id: 'after', kind: 'agent' },
        ]),
      ),
    );
    expect(ex.dispatches().map((d) => d.kind === 'dispatch' && d.stepId)).toEqual(['x', 'y1']);
    ex.send({ type: 'step.completed', stepId: 'y1', attempt: 1, output: 1 });
    ex.send({ type: 'step.completed', stepId: 'x', attempt: 1, output: 2 });
    expect(ex.dispatches().map((d) => d.kind === 'dispatch' && d.stepId)).toEqual(['x', 'y1', 'y2']);
    ex.send({ type: 'step.completed', stepId: 'y2', attempt: 1, output: 3 });
    expect(ex.state.steps.both).toMatchObject({ status: 'succeeded', output: { x: 2, y1: 1, y2: 3 } });
    expect(ex.dispatches().at(-1)).toMatchObject({ stepId: 'after' });
  });

  it('pauses (no new dispatch), resumes, and cancels running work', () => {
    const ex = run(
      contextOf(
        recipe([
          { id: 'a', kind: 'agent' },
          { id: 'b', kind: 'agent' },
        ]),
      ),
    );
    ex.send({ type: 'execution.paused' }, 'ann');
    ex.send({ type: 'step.completed', stepId: 'a', attempt: 1, output: null });
    expect(ex.dispatches()).toHaveLength(1);
    expect(ex.state).toMatchObject({ status: 'paused', steps: { b: { status: 'pending' } } });
    ex.send({ type: 'execution.resumed' }, 'ann');
    expect(ex.dispatches().at(-1)).toMatchObject({ key: 'ex1/b/1' });
    const out = ex.send({ type: 'execution.cancelled', reason: 'changed my mind' }, 'ann');
    expect(out).toEqual([
      { kind: 'cancel_run', key: 'ex1/b/1', stepId: 'b' },
      { kind: 'finished', status: 'cancelled' },
    ]);
    expect(ex.send({ type: 'step.completed', stepId: 'b', attempt: 1, output: null })).toEqual([]);
  });

  it(
    'holds every step that acts while paused (notify, wait, ' + 'approval, branch, parallel) and starts them on resume',
    () => {
      const ctx = contextOf(
        recipe([
          { id: 'a', kind: 'agent' },
          { id: 'tell', kind: 'notify', message: 'a is done' },
          { id: 'nap', kind: 'wait', forMs: 60_000 },
          { id: 'gate', kind: 'approval', prompt: 'go on?' },
          { id: 'route', kind: 'branch', cases: [], else: 'both' },
          {
            id: 'both',
            kind: 'parallel',
            branches: [[{ id: 'x', kind: 'notify', message: 'x' }], [{ id: 'y', kind: 'wait', forMs: 1_000 }]],
          },
        ]),
      );
      const ex = run(ctx);
      ex.send({ type: 'execution.paused' }, 'ann');
      // The running agent step finishes; the notification after it does not go out.
      expect(ex.send({ type: 'step.completed', stepId: 'a', attempt: 1, output: null }, null, 2_000)).toEqual([]);
      expect(ex.state).toMatchObject({
        status: 'paused',
        active: ['tell'],
        steps: { tell: { status: 'pending', attempt: 0 } },
      });
      // On resume the notification goes, and the wait starts counting then.
      const resumed = ex.send({ type: 'execution.resumed' }, 'ann', 5_000);
      expect(resumed).toEqual([
        expect.objectContaining({ kind: 'notify', stepId: 'tell', message: 'a is done' }),
        { kind: 'start_timer', timer: 'wait:nap:1', at: 65_000 },
      ]);
      // Paused while the wait runs: it ends on time, but the approval is not asked for until resumed.
      ex.send({ type: 'execution.paused' }, 'ann');
      expect(ex.send({ type: 'timer.fired', timer: 'wait:nap:1' }, null, 65_000)).toEqual([]);
      expect(ex.state.steps.gate).toMatchObject({ status: 'pending', input: null });
      expect(ex.send({ type: 'execution.resumed' }, 'ann')).toEqual([
        { kind: 'request_approval', stepId: 'gate', prompt: 'go on?', quorum: 1 },
      ]);
      // A branch and a parallel step reached while paused wait too.
      ex.send({ type: 'execution.paused' }, 'ann');
      expect(ex.send({ type: 'approval.decided', stepId: 'gate', approved: true, comment: null }, 'bob')).toEqual([]);
      expect(ex.state).toMatchObject({ active: ['route'], steps: { route: { status: 'pending' } } });
      expect(ex.state.steps.x).toBeUndefined();
      const last = ex.send({ type: 'execution.resumed' }, 'ann', 70_000);
      expect(last).toEqual([
        expect.objectContaining({ kind: 'notify', stepId: 'x' }),
        { kind: 'start_timer', timer: 'wait:y:1', at: 71_000 },
      ]);
      expect(ex.state).toMatchObject({
        status: 'waiting',
        steps: { route: { status: 'succeeded' }, x: { status: 'succeeded' }, y: { status: 'waiting' } },
      });
    },
  );

  it('starts the new attempt of a step whose sandbox was lost while paused only on resume', () => {
    const ex = run(contextOf(recipe([{ id: 'a', kind: 'agent', timeoutMs: 60_000 }])));
    ex.send({ type: 'execution.paused' }, 'ann');
    expect(ex.send({ type: 'step.lost', stepId: 'a', attempt: 1, reason: 'gone' })).toEqual([]);
    expect(ex.state.steps.a).toMatchObject({ status: 'pending', attempt: 1, losses: 1, timer: null });
    expect(ex.send({ type: 'execution.resumed' }, 'ann')).toEqual([
      expect.objectContaining({ kind: 'dispatch', key: 'ex1/a/2' }),
      expect.objectContaining({ kind: 'start_timer', timer: 'timeout:a:2' }),
    ]);
    expect(ex.state.steps.a).toMatchObject({ status: 'running', tries: 1 });
  });

  it('awaits only current timers: none once finished, and a retried execution awaits its deadline again', () => {
    const ctx = contextOf(
      recipe(
        [
          {
            id: 'a',
            kind: 'agent',
            timeoutMs: 60_000,
            retry: { maxAttempts: 2, initialMs: 5_000, factor: 1, maxMs: 5_000 },
          },
          { id: 'b', kind: 'agent' },
        ],
        { deadlineMs: 3_600_000 },
      ),
    );
    const ex = run(ctx);
    expect(awaitedTimers(ex.state)).toEqual(['deadline', 'timeout:a:1']);
    ex.send({ type: 'step.failed', stepId: 'a', attempt: 1, error: 'flaky', retryable: true });
    // The retry supersedes the attempt's timeout.
    expect(awaitedTimers(ex.state)).toEqual(['deadline', 'retry:a:2']);
    ex.send({ type: 'timer.fired', timer: 'retry:a:2' });
    ex.send({ type: 'step.completed', stepId: 'a', attempt: 2, output: null });
    expect(awaitedTimers(ex.state)).toEqual(['deadline']);
    ex.send({ type: 'step.failed', stepId: 'b', attempt: 1, error: 'broken', retryable: false });
    expect(ex.state.status).toBe('failed');
    expect(awaitedTimers(ex.state)).toEqual([]);
    // A human retries before the deadline: it is started again for the same time.
    expect(ex.send({ type: 'step.retried', stepId: 'b' }, 'ann', 10_000)).toContainEqual({
      kind: 'start_timer',
      timer: 'deadline',
      at: 3_601_000,
    });
    expect(awaitedTimers(ex.state)).toEqual(['deadline']);
    ex.send({ type: 'execution.cancelled', reason: null }, 'ann');
    expect(awaitedTimers(ex.state)).toEqual([]);
  });

  it('lets a human retry a failed step, skip a step with an output, and edit a future input', () => {
    const ex = run(
      contextOf(
        recipe([
          { id: 'a', kind: 'agent' },
          { id: 'b', kind: 'agent', prompt: 'uses ${steps.a.output}' },
          { id: 'c', kind: 'agent' },
        ]),
      ),
    );
    ex.send({ type: 'step.input_edited', stepId: 'c', input: { branch: 'hotfix' } }, 'ann');
    ex.send({ type: 'step.skipped', stepId: 'b', output: 'skipped by ann' }, 'ann');
    ex.send({ type: 'step.failed', stepId: 'a', attempt: 1, error: 'flaky', retryable: false });
    expect(ex.state.status).toBe('failed');
    ex.send({ type: 'step.retried', stepId: 'a' }, 'ann');
    expect(ex.state.status).toBe('running');
    expect(ex.dispatches().at(-1)).toMatchObject({ key: 'ex1/a/2' });
    ex.send({ type: 'step.completed', stepId: 'a', attempt: 2, output: 'ok' });
    // b was skipped in advance: c runs next, with the edited input.
    expect(ex.state.steps.b).toMatchObject({ status: 'skipped', output: 'skipped by ann' });
    expect(ex.dispatches().at(-1)).toMatchObject({ stepId: 'c', input: { branch: 'hotfix' } });
  });

  it('moves the remaining steps to a newer recipe version', () => {
    const v1 = recipe([
      { id: 'a', kind: 'agent' },
      { id: 'b', kind: 'agent', prompt: 'old' },
    ]);
    const v2 = recipe([
      { id: 'a', kind: 'agent' },
      { id: 'b', kind: 'agent', prompt: 'new' },
    ]);
    const ex = run(contextOf(v1, v2));
    ex.send({ type: 'execution.moved', recipeVersion: 2 }, 'ann');
    ex.send({ type: 'step.completed', stepId: 'a', attempt: 1, output: null });
    expect(ex.dispatches().at(-1)).toMatchObject({ stepId: 'b', prompt: 'new' });
    expect(ex.state.recipeVersion).toBe(2);
  });

  it('fails a step whose template cannot be evaluated, with the reason', () => {
    const ex = run(contextOf(recipe([{ id: 'a', kind: 'agent', prompt: '${inputs.missing}' }])));
    expect(ex.state).toMatchObject({ status: 'failed', reason: 'step a failed: no such field: inputs.missing' });
  });

  describe('notify steps that deliver through an integration', () => {
    const comment = {
      id: 'c',
      kind: 'notify',
      channel: 'github',
      message: 'Done: ${inputs.repo}',
      target: { kind: 'github', repository: '${inputs.repo}', issue: '42' },
      integration: null,
      retry: { maxAttempts: 2, initialMs: 2_000, factor: 2, maxMs: 30_000 },
    } as const;
    const inputs = { inputs: { repo: { type: 'string' as const, required: true } } };

    it('waits for the delivery and continues with its output', () => {
      const ex = run(contextOf(recipe([comment, { id: 'after', kind: 'agent' }], inputs)), { repo: 'acme/api' });
      expect(ex.commands).toContainEqual({
        kind: 'notify',
        key: 'ex1/c/1',
        stepId: 'c',
        channel: 'github',
        message: 'Done: acme/api',
        url: null,
        attempt: 1,
        target: { kind: 'github', repository: 'acme/api', issue: '42' },
        integration: null,
      });
      expect(ex.state.status).toBe('running');
      expect(ex.dispatches()).toEqual([]);
      ex.send({
        type: 'step.completed',
        stepId: 'c',
        attempt: 1,
        output: { url: 'https://github.com/acme/api/issues/42#c1' },
      });
      expect(ex.state.steps.c).toMatchObject({
        status: 'succeeded',
        output: { url: 'https://github.com/acme/api/issues/42#c1' },
      });
      expect(ex.dispatches()).toHaveLength(1);
    });

    it('retries a delivery the service could not take, with a new key, then fails clearly', () => {
      const ex = run(contextOf(recipe([comment], inputs)), { repo: 'acme/api' });
      expect(
        ex.send({ type: 'step.failed', stepId: 'c', attempt: 1, error: 'GitHub is unavailable', retryable: true }),
      ).toEqual([{ kind: 'start_timer', timer: 'retry:c:2', at: 1_000 + 2_000 }]);
      ex.send({ type: 'timer.fired', timer: 'retry:c:2' });
      expect(ex.commands.filter((c) => c.kind === 'notify').map((c) => c.kind === 'notify' && c.key)).toEqual([
        'ex1/c/1',
        'ex1/c/2',
      ]);
      ex.send({ type: 'step.failed', stepId: 'c', attempt: 2, error: 'GitHub is unavailable', retryable: true });
      expect(ex.state).toMatchObject({ status: 'failed', reason: 'step c failed: GitHub is unavailable' });
    });

    it('fails at once when the connection refuses (revoked), without retrying', () => {
      const ex = run(contextOf(recipe([comment], inputs)), { repo: 'acme/api' });
      ex.send({
        type: 'step.failed',
        stepId: 'c',
        attempt: 1,
        error: 'the GitHub connection was revoked',
        retryable: false,
      });
      expect(ex.state).toMatchObject({ status: 'failed', reason: 'step c failed: the GitHub connection was revoked' });
      expect(ex.commands.filter((c) => c.kind === 'start_timer')).toEqual([]);
    });

    it(
      "waits for a webhook's receiver too: its answer completes the step, a " +
        'refusal fails it for good, an outage is retried by the default policy',
      () => {
        const hook = {
          id: 'h',
          kind: 'notify',
          channel: 'webhook',
          url: 'https://hooks.example.com/x',
          message: 'Done: ${inputs.repo}',
        } as const;
        const ex = run(contextOf(recipe([hook, { id: 'after', kind: 'agent' }], inputs)), { repo: 'acme/api' });
        expect(ex.commands).toContainEqual({
          kind: 'notify',
          key: 'ex1/h/1',
          stepId: 'h',
          channel: 'webhook',
          message: 'Done: acme/api',
          url: 'https://hooks.example.com/x',
          attempt: 1,
        });
        expect(ex.state.steps.h).toMatchObject({
          status: 'running',
          input: { message: 'Done: acme/api', url: 'https://hooks.example.com/x' },
        });
        expect(
          ex.send({
            type: 'step.failed',
            stepId: 'h',
            attempt: 1,
            error: 'webhook hooks.example.com answered 503',
            retryable: true,
          }),
        ).toEqual([{ kind: 'start_timer', timer: 'retry:h:2', at: 1_000 + 2_000 }]);
        ex.send({ type: 'timer.fired', timer: 'retry:h:2' });
        ex.send({
          type: 'step.completed',
          stepId: 'h',
          attempt: 2,
          output: { message: 'Done: acme/api', status: 200 },
        });
        expect(ex.dispatches()).toHaveLength(1);
        const refused = run(contextOf(recipe([hook], inputs)), { repo: 'acme/api' });
        refused.send({
          type: 'step.failed',
          stepId: 'h',
          attempt: 1,
          error: 'refused: 10.0.0.1 is a private address; allow it with BATON_EGRESS_ALLOW',
          retryable: false,
        });
        expect(refused.state).toMatchObject({
          status: 'failed',
          reason: 'step h failed: refused: 10.0.0.1 is a private address; allow it with BATON_EGRESS_ALLOW',
        });
      },
    );

    it('holds a delivery while paused and sends it on resume', () => {
      const ex = run(contextOf(recipe([{ id: 'gate', kind: 'approval' }, comment], inputs)), { repo: 'acme/api' });
      ex.send({ type: 'execution.paused' });
      ex.send({ type: 'approval.decided', stepId: 'gate', approved: true, comment: null }, 'ann');
      expect(ex.commands.filter((c) => c.kind === 'notify')).toEqual([]);
      ex.send({ type: 'execution.resumed' });
      expect(ex.commands.filter((c) => c.kind === 'notify')).toHaveLength(1);
    });

    it("passes an agent step's GitHub scope, rendered, with its dispatch", () => {
      const ex = run(
        contextOf(
          recipe(
            [
              {
                id: 'a',
                kind: 'agent',
                github: { integration: null, repositories: ['${inputs.repo}'], permissions: { contents: 'write' } },
              },
            ],
            { inputs: { repo: { type: 'string', required: true } } },
          ),
        ),
        { repo: 'api' },
      );
      expect(ex.dispatches()[0]).toMatchObject({
        github: { integration: null, repositories: ['api'], permissions: { contents: 'write' } },
      });
    });
  });
});
