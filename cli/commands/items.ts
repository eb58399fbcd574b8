import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { path } from '../http.ts';
import { table, when } from '../output.ts';
import { dashboardId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

type Item = Schema<'DashboardItem'>;

/** `baton items add|ls|done`: a dashboard's notes, todos and links (what an agent in a sandbox reports with). */
export function registerItems(program: Command, runtime: Runtime): void {
  const items = program
    .command('items')
    .description("A dashboard's notes, todos and links: what people and agents write to report");
  items
    .command('add <dashboard>')
    .description("Add a note, a todo or a link to a dashboard (id or name); prints the new item's id")
    .option('--note <text>', 'a note with this text (Markdown)')
    .option('--todo <title>', 'a todo with this title')
    .option('--link <url>', 'a link to this URL')
    .option('--title <title>', 'the title of a note or link')
    .option('--body <text>', 'the text of a todo or link')
    .option('--workspace <id|name>', 'the workspace, to find a dashboard by name')
    .addHelpText(
      'after',
      '\nExamples:\n  baton items add "$DASHBOARD" --todo "Fix the flaky test"\n  baton ' +
        'items add "$DASHBOARD" --link https://ci.example.com/run/42 --title "CI run"',
    )
    .action(
      async (
        given: string,
        opts: { note?: string; todo?: string; link?: string; title?: string; body?: string; workspace?: string },
        command: Command,
      ) => {
        const kinds = [opts.note, opts.todo, opts.link].filter((x) => x !== undefined);
        if (kinds.length !== 1) throw new CliError('Give exactly one of --note, --todo or --link', exitCodes.usage);
        const extra = {
          ...(opts.title === undefined ? {} : { title: opts.title }),
          ...(opts.body === undefined ? {} : { body: opts.body }),
        };
        const body =
          opts.note !== undefined
            ? { kind: 'note', ...extra, body: opts.note }
            : opts.todo !== undefined
              ? { kind: 'todo', ...extra, title: opts.todo }
              : { kind: 'link', ...extra, url: opts.link };
        const connection = await runtime.connect(command);
        const id = await dashboardId(connection, given, opts.workspace, runtime.env);
        const created = await connection.api.post<Item>(path('/v1/dashboards/{id}/items', { id }), body);
        runtime.print(command, created, () => created.id);
      },
    );
  items
    .command('ls <dashboard>')
    .description("List a dashboard's items, oldest first")
    .option('--workspace <id|name>', 'the workspace, to find a dashboard by name')
    .action(async (given: string, opts: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const id = await dashboardId(connection, given, opts.workspace, runtime.env);
      const body = await connection.api.get<{ items: Item[] }>(path('/v1/dashboards/{id}/items', { id }));
      runtime.print(command, body, () =>
        table(
          ['ID', 'KIND', 'DONE', 'TITLE', 'UPDATED'],
          body.items.map((item) => [
            item.id,
            item.kind,
            item.kind === 'todo' ? (item.done === true ? 'yes' : 'no') : '',
            item.kind === 'link' ? `${item.title || item.url || ''}` : item.title || firstLine(item.body),
            when(item.updatedAt),
          ]),
        ),
      );
    });
  items
    .command('done <dashboard> <item>')
    .description('Mark a todo done (--undo: not done)')
    .option('--undo', 'mark it not done')
    .option('--workspace <id|name>', 'the workspace, to find a dashboard by name')
    .action(async (given: string, itemId: string, opts: { undo?: boolean; workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const id = await dashboardId(connection, given, opts.workspace, runtime.env);
      const updated = await connection.api.patch<Item>(path('/v1/dashboards/{id}/items/{itemId}', { id, itemId }), {
        done: opts.undo !== true,
      });
      runtime.print(command, updated, () => `${updated.title}: ${updated.done === true ? 'done' : 'not done'}`);
    });
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}
