import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { path } from '../http.ts';
import { table, when } from '../output.ts';
import type { Runtime } from '../runtime.ts';

interface Inbox {
  counts: { approvals: number; failed: number };
  approvals: Array<Schema<'InboxApproval'>>;
  failed: unknown[];
}

/** `baton approvals` (my inbox), `baton approve` and `baton reject`. */
export function registerApprovals(program: Command, runtime: Runtime): void {
  program
    .command('approvals')
    .description('Approvals waiting for you across your workspaces (your inbox), newest first')
    .option('--limit <n>', 'at most this many')
    .action(async (opts: { limit?: string }, command: Command) => {
      const { api } = await runtime.connect(command);
      const inbox = await api.get<Inbox>('/v1/me/inbox', { limit: opts.limit });
      runtime.print(command, inbox, () =>
        table(
          ['EXECUTION', 'STEP', 'DASHBOARD', 'RECIPE', 'VOTES', 'WAITING SINCE', 'PROMPT'],
          inbox.approvals.map((a) => [
            a.executionId,
            a.stepId,
            a.dashboard.name,
            a.recipe.name,
            `${a.approvals}/${a.quorum}`,
            when(a.waitingSince),
            a.prompt.split('\n')[0],
          ]),
          'No approvals wait for you.',
        ),
      );
    });
  for (const [verb, description] of [
    ['approve', 'Approve a waiting approval step (one voice per person)'],
    ['reject', 'Reject a waiting approval step'],
  ] as const) {
    program
      .command(`${verb} <execution> <step>`)
      .description(description)
      .option('--comment <text>', 'a comment kept with your decision')
      .action(async (id: string, stepId: string, opts: { comment?: string }, command: Command) => {
        const { api } = await runtime.connect(command);
        const execution = await api.post<Schema<'Execution'>>(
          path(`/v1/executions/{id}/steps/{stepId}/${verb}`, { id, stepId }),
          opts.comment === undefined ? {} : { comment: opts.comment },
        );
        runtime.print(
          command,
          execution,
          () =>
            `${verb === 'approve' ? 'Approved' : 'Rejected'} ${stepId}` +
            ` (execution ${execution.id}: ${execution.status}).`,
        );
      });
  }
}
