import { finishedStatuses, type ApprovalView, type StepState, type WatchView } from './watch-view.ts';

/** How to draw: the terminal's width (lines are cut to it, so none wraps) and whether to use colour. */
export interface RenderOptions {
  readonly width: number;
  readonly color: boolean;
}

type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'cyan';
type Segment = readonly [text: string, style?: Style];

const sgr: Readonly<Record<Style, string>> = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33', cyan: '36' };

const stepIcons: Readonly<Record<StepState['status'], readonly [string, Style | undefined]>> = {
  pending: ['○', 'dim'],
  scheduled: ['◔', 'cyan'],
  running: ['▶', 'cyan'],
  waiting: ['◐', 'yellow'],
  succeeded: ['✓', 'green'],
  failed: ['✗', 'red'],
  skipped: ['↷', 'dim'],
  cancelled: ['⊘', 'dim'],
};

const executionStyles: Readonly<Record<string, Style>> = {
  running: 'cyan',
  waiting: 'yellow',
  paused: 'yellow',
  succeeded: 'green',
  failed: 'red',
  cancelled: 'dim',
};

/**
 * The execution as a tree of lines (no trailing newlines), the way `baton watch` draws it on a
 * terminal: a header (recipe, execution, status, what it waits for, cost), one branch per step
 * (status, attempt, error, child execution) with, under it, the running attempt's latest progress,
 * the approval waiting there (prompt, decisions so far) and the artifacts the step's runs left;
 * then the outcome once it finished. A pure function of the view, so it is tested without a terminal.
 */
export function renderTree(view: WatchView, options: RenderOptions): string[] {
  const { execution } = view;
  const lines: Segment[][] = [];
  const header: Segment[] = [
    [`${view.recipeName ?? execution.recipeId} v${execution.recipeVersion}`, 'bold'],
    [`  ${execution.id}  `, 'dim'],
    [execution.status, executionStyles[execution.status]],
  ];
  const waitingFor = execution.waitingFor ?? null;
  if (waitingFor !== null)
    header.push([
      `${execution.status === 'waiting' ? '' : ' · waiting'} for ` +
        `${waitingFor === 'approval' ? 'an approval' : waitingFor === 'event' ? 'an event' : `a ${waitingFor}`}`,
      'yellow',
    ]);
  if (execution.queuePosition !== undefined && execution.queuePosition !== null)
    header.push([` (#${execution.queuePosition} in the queue)`, 'dim']);
  if (execution.cost !== undefined && execution.cost.totalUsd > 0)
    header.push([` · $${execution.cost.totalUsd.toFixed(2)}`, 'dim']);
  lines.push(header);
  if (execution.reason !== null && !finishedStatuses.has(execution.status))
    lines.push([[`  ${oneLine(execution.reason)}`, 'dim']]);

  const stepIds = [
    ...view.stepOrder.filter((id) => id in execution.steps),
    ...Object.keys(execution.steps).filter((id) => !view.stepOrder.includes(id)),
  ];
  stepIds.forEach((stepId, index) => {
    const step = execution.steps[stepId];
    if (step === undefined) return;
    const last = index === stepIds.length - 1;
    const [icon, iconStyle] = stepIcons[step.status] ?? ['?', undefined];
    const line: Segment[] = [
      [last ? '└─ ' : '├─ ', 'dim'],
      [icon, iconStyle],
      [` ${stepId}`, 'bold'],
      [`  ${step.status}`, iconStyle === 'dim' ? 'dim' : undefined],
    ];
    if (step.attempt > 1) line.push([` · attempt ${step.attempt}`]);
    if (step.childExecutionId !== undefined && step.childExecutionId !== null)
      line.push([` · child ${step.childExecutionId}`, 'dim']);
    lines.push(line);
    const under = (segments: Segment[]) => lines.push([[last ? '     ' : '│    ', 'dim'], ...segments]);
    if (step.error !== null && (step.status === 'failed' || step.status === 'running' || step.status === 'scheduled'))
      under([[`error: ${oneLine(step.error)}`, 'red']]);
    const report =
      step.status === 'running'
        ? latest(view.progress.filter((p) => p.stepId === stepId && p.attempt === step.attempt))
        : undefined;
    if (report !== undefined)
      under(
        report.percent === null
          ? [[oneLine(report.message)]]
          : [[`${bar(report.percent)} `, 'cyan'], [`${Math.round(report.percent)}% `], [oneLine(report.message)]],
      );
    // Only while the step waits: the document may still say waiting a moment after the execution
    // moved on (they are written apart), and a finished step must not look as if it still asked.
    for (const approval of view.approvals)
      if (approval.stepId === stepId && approval.status === 'waiting' && step.status === 'waiting')
        for (const segments of approvalLines(approval)) under(segments);
    for (const artifact of view.artifacts)
      if (artifact.stepId === stepId)
        under([
          [`▤ ${artifact.kind}: `, 'dim'],
          [oneLine(artifact.title)],
          ...(artifact.url === null ? [] : [[`  ${artifact.url}`, 'dim'] as Segment]),
        ]);
  });

  if (finishedStatuses.has(execution.status)) {
    const [icon, style] = stepIcons[execution.status as 'succeeded' | 'failed' | 'cancelled'];
    lines.push([
      [`${icon} ${execution.status}`, style],
      ...(execution.reason === null ? [] : [[`: ${oneLine(execution.reason)}`] as Segment]),
    ]);
    if (execution.summary !== undefined && execution.summary !== null)
      lines.push([[`  ${oneLine(execution.summary)}`]]);
  }
  return lines.map((segments) => fit(segments, options));
}

/** The prompt of a waiting approval and the decisions recorded so far. */
function approvalLines(approval: ApprovalView): Segment[][] {
  const approved = approval.decisions.filter((d) => d.approved).length;
  const lines: Segment[][] = [
    [
      ['? ', 'yellow'],
      [oneLine(approval.prompt), 'bold'],
      [`  ${approved} of ${approval.quorum} approval${approval.quorum === 1 ? '' : 's'}`, 'dim'],
    ],
  ];
  for (const decision of approval.decisions) {
    const who = decision.name ?? decision.email ?? decision.userId;
    lines.push([
      [decision.approved ? '  ✓ ' : '  ✗ ', decision.approved ? 'green' : 'red'],
      [who],
      ...(decision.comment === null ? [] : [[`: ${oneLine(decision.comment)}`, 'dim'] as Segment]),
    ]);
  }
  return lines;
}

/** The report that came last (the document keeps one per run; a step may have had several runs). */
function latest<T extends { attempt: number }>(reports: readonly T[]): T | undefined {
  return reports.reduce<T | undefined>(
    (best, report) => (best === undefined || report.attempt >= best.attempt ? report : best),
    undefined,
  );
}

/** A ten-cell bar for a percentage. */
export function bar(percent: number): string {
  const filled = Math.max(0, Math.min(10, Math.round(percent / 10)));
  return `[${'#'.repeat(filled)}${'.'.repeat(10 - filled)}]`;
}

/** Text on one line: a prompt or an error may hold newlines, which would break the redraw's line count. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** The segments cut to the width (a line that wrapped would move the redraw), then coloured. */
function fit(segments: readonly Segment[], options: RenderOptions): string {
  let room = Math.max(1, options.width - 1);
  let out = '';
  for (const [text, style] of segments) {
    if (room <= 0) break;
    const chars = [...text];
    const cut = chars.length > room ? `${chars.slice(0, room - 1).join('')}…` : text;
    room -= Math.min(chars.length, room);
    out += options.color && style !== undefined ? `\x1b[${sgr[style]}m${cut}\x1b[0m` : cut;
  }
  return out;
}
