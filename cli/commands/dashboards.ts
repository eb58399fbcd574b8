import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { path } from '../http.ts';
import { table, when } from '../output.ts';
import { dashboardId, workspaceId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

/** `baton dashboards ls|create|open`. */
export function registerDashboards(program: Command, runtime: Runtime): void {
  const dashboards = program
    .command('dashboards')
    .description('Dashboards: where executions run and people and agents meet');
  dashboards
    .command('ls')
    .description('List the dashboards of a workspace you may see')
    .option('--workspace <id|name>', "the workspace (default: BATON_WORKSPACE, the context's, or your only one)")
    .action(async (opts: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const wid = await workspaceId(connection, opts.workspace, runtime.env);
      const body = await connection.api.get<{ dashboards: Array<Schema<'Dashboard'>> }>(
        path('/v1/workspaces/{wid}/dashboards', { wid }),
      );
      runtime.print(command, body, () =>
        table(
          ['ID', 'NAME', 'ROLE', 'UPDATED'],
          body.dashboards.map((d) => [d.id, d.name, d.role, when(d.updatedAt)]),
        ),
      );
    });
  dashboards
    .command('create <name>')
    .description('Create a dashboard (you become its owner); prints its id')
    .option('--workspace <id|name>', "the workspace (default: BATON_WORKSPACE, the context's, or your only one)")
    .action(async (name: string, opts: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const wid = await workspaceId(connection, opts.workspace, runtime.env);
      const created = await connection.api.post<Schema<'Dashboard'>>(path('/v1/workspaces/{wid}/dashboards', { wid }), {
        name,
      });
      runtime.print(command, created, () => created.id);
    });
  dashboards
    .command('open <dashboard>')
    .description(
      'Print the console URL of a dashboard (id or name); with --open, open it in the browser when on a terminal',
    )
    .option('--open', 'open the URL with xdg-open (Linux) or open (macOS) when stdout is a terminal')
    .option('--workspace <id|name>', 'the workspace, to find a dashboard by name')
    .action(async (given: string, opts: { open?: boolean; workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const id = await dashboardId(connection, given, opts.workspace, runtime.env);
      // Read it, so a wrong id fails here (exit 4) rather than in the browser.
      const dashboard = await connection.api.get<Schema<'Dashboard'>>(path('/v1/dashboards/{id}', { id }));
      const url = `${connection.url}/dashboards/${encodeURIComponent(id)}`;
      runtime.print(command, { ...dashboard, url }, () => url);
      if (opts.open === true && runtime.io.stdout.isTTY === true) {
        const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
        spawn(opener, [url], { stdio: 'ignore', detached: true })
          .on('error', () => runtime.note(`Could not run ${opener}: open the URL above yourself.`))
          .unref();
      }
    });
}
