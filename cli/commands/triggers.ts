import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { path } from '../http.ts';
import { table, when } from '../output.ts';
import { workspaceId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

/** `baton triggers ls|events`. */
export function registerTriggers(program: Command, runtime: Runtime): void {
  const triggers = program
    .command('triggers')
    .description('Event triggers: a webhook or GitHub event that starts a recipe or wakes waiting steps');
  triggers
    .command('ls')
    .description('List the triggers of a workspace')
    .option('--workspace <id|name>', "the workspace (default: BATON_WORKSPACE, the context's, or your only one)")
    .action(async (opts: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const wid = await workspaceId(connection, opts.workspace, runtime.env);
      const body = await connection.api.get<{ triggers: Array<Schema<'Trigger'>> }>(
        path('/v1/workspaces/{wid}/triggers', { wid }),
      );
      runtime.print(command, body, () =>
        table(
          ['ID', 'NAME', 'SOURCE', 'EVENT', 'ACTION', 'ENABLED'],
          body.triggers.map((t) => [t.id, t.name, t.source, t.event, t.action.kind, t.enabled ? 'yes' : 'no']),
        ),
      );
    });
  triggers
    .command('events <trigger>')
    .description('The events a trigger saw, newest first, with what it did')
    .option('--limit <n>', 'at most this many')
    .option('--before <seq>', 'events older than this seq (the nextBefore of the previous page)')
    .action(async (id: string, opts: { limit?: string; before?: string }, command: Command) => {
      const { api } = await runtime.connect(command);
      const body = await api.get<{ events: Array<Schema<'InboundEvent'>>; nextBefore: number | null }>(
        path('/v1/triggers/{id}/events', { id }),
        { limit: opts.limit, before: opts.before },
      );
      runtime.print(command, body, () =>
        table(
          ['SEQ', 'RECEIVED', 'NAME', 'OUTCOME', 'EXECUTION', 'REASON'],
          body.events.map((e) => [
            e.seq,
            when(e.receivedAt),
            e.name,
            e.firing?.outcome,
            e.firing?.executionId,
            e.firing?.reason,
          ]),
          'No events yet.',
        ),
      );
    });
}
