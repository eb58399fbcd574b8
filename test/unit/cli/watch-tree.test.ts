import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { renderTree } from '../../../cli/watch/render-tree.ts';
import { outcomeEvent, watchEvents } from '../../../cli/watch/watch-events.ts';
import {
  readDocumentExtras,
  stepOrder,
  type Execution,
  type StepState,
  type WatchView,
} from '../../../cli/watch/watch-view.ts';

// `baton watch`'s pure parts: the state document read into a view, the view drawn as a tree of
// lines, and the JSON events between two views.

const executionId = '11111111-1111-4111-8111-111111111111';

function step(status: StepState['status'], extra: Partial<StepState> = {}): StepState {
  return {
    attempt: 1,
    decisions: [],
    error: null,
    finishedAt: null,
    input: null,
    output: null,
    startedAt: null,
    status,
    tries: 0,
    visit: 1,
    ...extra,
  };
}

function execution(extra: Partial<Execution> = {}): Execution {
  return {
    id: executionId,
    active: ['build'],
    createdBy: null,
    dashboardId: '22222222-2222-4222-8222-222222222222',
    deadlineAt: null,
    finishedAt: null,
    inputs: {},
    reason: null,
    recipeId: '33333333-3333-4333-8333-333333333333',
    recipeVersion: 2,
    startedAt: 0,
    status: 'running',
    steps: { build: step('running', { attempt: 2 }), gate: step('pending') },
    version: 3,
    workspaceId: '44444444-4444-4444-8444-444444444444',
    ...extra,
  };
}

function view(extra: Partial<WatchView> = {}): WatchView {
  return {
    execution: execution(),
    recipeName: 'ship-it',
    stepOrder: ['build', 'gate'],
    approvals: [],
    progress: [],
    artifacts: [],
    ...extra,
  };
}

const plain = { width: 100, color: false };

describe('renderTree', () => {
  it('draws the header and one branch per step, with the running attempt, its progress and its artifacts', () => {
    const lines = renderTree(
      view({
        progress: [
          { stepId: 'build', attempt: 1, message: 'old attempt', percent: 90 },
          { stepId: 'build', attempt: 2, message: 'compiling', percent: 50 },
        ],
        artifacts: [
          {
            key: `${executionId}/build/2#a1`,
            stepId: 'build',
            attempt: 2,
            kind: 'report',
            title: 'Build report',
            url: 'https://ci.example.com/1',
          },
        ],
      }),
      plain,
    );
    expect(lines).toEqual([
      `ship-it v2  ${executionId}  running`,
      '├─ ▶ build  running · attempt 2',
      '│    [#####.....] 50% compiling',
      '│    ▤ report: Build report  https://ci.example.com/1',
      '└─ ○ gate  pending',
    ]);
  });

  it('shows a waiting approval with its prompt and the decisions so far, and what the execution waits for', () => {
    const lines = renderTree(
      view({
        execution: execution({
          status: 'waiting',
          waitingFor: 'approval',
          active: ['gate'],
          steps: { build: step('succeeded'), gate: step('waiting') },
        }),
        approvals: [
          {
            stepId: 'gate',
            prompt: 'Ship\nit?',
            quorum: 2,
            visit: 1,
            status: 'waiting',
            decisions: [{ userId: 'u1', approved: true, comment: 'fine by me', name: 'Ada', email: 'ada@example.com' }],
          },
        ],
        progress: [{ stepId: 'build', attempt: 1, message: 'done', percent: 100 }],
      }),
      plain,
    );
    expect(lines).toEqual([
      `ship-it v2  ${executionId}  waiting for an approval`,
      '├─ ✓ build  succeeded',
      '└─ ◐ gate  waiting',
      '     ? Ship it?  1 of 2 approvals',
      '       ✓ Ada: fine by me',
    ]);
  });

  it('shows no approval under a step that no longer waits, though the document still says waiting', () => {
    // The document and the execution are written apart: the gate may have succeeded a moment before
    // the document's approval says so.
    const lines = renderTree(
      view({
        execution: execution({ status: 'succeeded', steps: { gate: step('succeeded') } }),
        approvals: [{ stepId: 'gate', prompt: 'Ship it?', quorum: 1, visit: 1, status: 'waiting', decisions: [] }],
      }),
      plain,
    );
    expect(lines).toEqual([`ship-it v2  ${executionId}  succeeded`, '└─ ✓ gate  succeeded', '✓ succeeded']);
  });

  it('ends with the outcome: a failed step shows its error, the execution its reason', () => {
    const lines = renderTree(
      view({
        execution: execution({
          status: 'failed',
          reason: 'step build failed',
          active: [],
          steps: { build: step('failed', { error: 'scripted failure\nat line 2' }), gate: step('cancelled') },
        }),
      }),
      plain,
    );
    expect(lines).toEqual([
      `ship-it v2  ${executionId}  failed`,
      '├─ ✗ build  failed',
      '│    error: scripted failure at line 2',
      '└─ ⊘ gate  cancelled',
      '✗ failed: step build failed',
    ]);
  });

  it('cuts every line to the width, so none wraps and the redraw stays in place', () => {
    const lines = renderTree(view({ recipeName: 'a-recipe-with-a-very-long-name-indeed' }), {
      width: 20,
      color: false,
    });
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(19);
    expect(lines[0]).toBe('a-recipe-with-a-ve…');
  });

  it('colours with ANSI SGR only when asked', () => {
    const coloured = renderTree(view(), { width: 100, color: true });
    expect(coloured[0]).toContain('\x1b[1mship-it v2\x1b[0m');
    expect(coloured[1]).toContain('\x1b[36m▶\x1b[0m');
    expect(renderTree(view(), plain).join('')).not.toContain('\x1b[');
  });
});

describe('stepOrder', () => {
  it("reads a compiled recipe's steps as written (start, branches, cases, next), whatever order the map has", () => {
    const compiled = {
      start: 'plan',
      steps: {
        ship: { id: 'ship', next: null },
        plan: { id: 'plan', next: 'fan' },
        fan: { id: 'fan', kind: 'parallel', branches: ['left', 'right'], next: 'choose' },
        left: { id: 'left', next: null },
        right: { id: 'right', next: null },
        choose: { id: 'choose', kind: 'branch', cases: [{ if: 'x', goto: 'ship' }], else: 'plan', next: null },
        orphan: { id: 'orphan', next: null },
      },
    };
    expect(stepOrder(compiled)).toEqual(['plan', 'fan', 'left', 'right', 'choose', 'ship', 'orphan']);
    expect(stepOrder(null)).toEqual([]);
  });

  it("draws the steps in that order, not the API map's", () => {
    const lines = renderTree(
      view({ execution: execution({ steps: { gate: step('pending'), build: step('running') } }) }),
      plain,
    );
    expect(lines.slice(1)).toEqual(['├─ ▶ build  running', '└─ ○ gate  pending']);
  });
});

describe('watchEvents', () => {
  it('starts with the execution, then says only what changed: a step, an approval, progress, a new artifact', () => {
    const first = view();
    expect(watchEvents(undefined, first)).toEqual([{ type: 'execution', execution: first.execution }]);
    expect(watchEvents(first, view())).toEqual([]);
    const next = view({
      execution: execution({ version: 4, steps: { build: step('succeeded', { attempt: 2 }), gate: step('waiting') } }),
      approvals: [{ stepId: 'gate', prompt: 'go?', quorum: 1, visit: 1, status: 'waiting', decisions: [] }],
      progress: [{ stepId: 'build', attempt: 2, message: 'done', percent: 100 }],
      artifacts: [{ key: 'k1', stepId: 'build', attempt: 2, kind: 'report', title: 'r', url: null }],
    });
    expect(watchEvents(first, next)).toEqual([
      { type: 'step', executionId, stepId: 'build', step: step('succeeded', { attempt: 2 }) },
      { type: 'step', executionId, stepId: 'gate', step: step('waiting') },
      {
        type: 'approval',
        executionId,
        stepId: 'gate',
        prompt: 'go?',
        quorum: 1,
        visit: 1,
        status: 'waiting',
        decisions: [],
      },
      { type: 'progress', executionId, stepId: 'build', attempt: 2, message: 'done', percent: 100 },
      { type: 'artifact', executionId, stepId: 'build', attempt: 2, kind: 'report', title: 'r', url: null },
    ]);
    const finished = view({ ...next, execution: execution({ ...next.execution, status: 'succeeded', active: [] }) });
    expect(watchEvents(next, finished)).toEqual([{ type: 'execution', execution: finished.execution }]);
    expect(outcomeEvent(finished.execution)).toEqual({
      type: 'outcome',
      executionId,
      status: 'succeeded',
      reason: null,
      summary: null,
    });
  });
});

describe('readDocumentExtras', () => {
  it("reads this execution's approvals, progress and artifacts from the state document, and no other's", () => {
    const doc = new Y.Doc();
    const approval = new Y.Map<unknown>();
    const decisions = new Y.Map<unknown>();
    doc.transact(() => {
      doc.getMap('approvals').set(`${executionId}:gate`, approval);
      approval.set('executionId', executionId);
      approval.set('stepId', 'gate');
      approval.set('prompt', 'Ship?');
      approval.set('quorum', 1);
      approval.set('visit', 1);
      approval.set('status', 'waiting');
      approval.set('decisions', decisions);
      decisions.set('u1', { approved: false, comment: 'not yet', at: 1, name: null, email: 'bob@example.com' });
      doc.getMap('approvals').set('other:gate', { stepId: 'gate', prompt: 'no', status: 'waiting' });
      doc.getMap('progress').set(`${executionId}/build/1`, {
        executionId,
        stepId: 'build',
        attempt: 1,
        message: 'half',
        percent: 50,
        at: 1,
      });
      doc.getMap('progress').set('other/build/1', { stepId: 'build', attempt: 1, message: 'not ours' });
      doc.getMap('artifacts').set(`${executionId}/build/1#a2`, {
        executionId,
        stepId: 'build',
        attempt: 1,
        kind: 'link',
        title: 'PR',
        url: 'https://example.com/pr',
        content: '',
      });
      doc.getMap('artifacts').set(`${executionId}/build/1#a1`, {
        executionId,
        stepId: 'build',
        attempt: 1,
        kind: 'report',
        title: 'Report',
        url: null,
        content: 'x',
      });
    });
    expect(readDocumentExtras(doc, executionId)).toEqual({
      approvals: [
        {
          stepId: 'gate',
          prompt: 'Ship?',
          quorum: 1,
          visit: 1,
          status: 'waiting',
          decisions: [{ userId: 'u1', approved: false, comment: 'not yet', name: null, email: 'bob@example.com' }],
        },
      ],
      progress: [{ stepId: 'build', attempt: 1, message: 'half', percent: 50 }],
      artifacts: [
        { key: `${executionId}/build/1#a1`, stepId: 'build', attempt: 1, kind: 'report', title: 'Report', url: null },
        {
          key: `${executionId}/build/1#a2`,
          stepId: 'build',
          attempt: 1,
          kind: 'link',
          title: 'PR',
          url: 'https://example.com/pr',
        },
      ],
    });
  });
});
