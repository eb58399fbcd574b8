import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { table, when } from '../output.ts';
import type { Runtime } from '../runtime.ts';

/** `baton workspaces ls`. */
export function registerWorkspaces(program: Command, runtime: Runtime): void {
  const workspaces = program.command('workspaces').description('The workspaces you belong to');
  workspaces
    .command('ls')
    .description('List your workspaces')
    .action(async (_opts: unknown, command: Command) => {
      const { api } = await runtime.connect(command);
      const body = await api.get<{ workspaces: Array<Schema<'Workspace'>> }>('/v1/workspaces');
      runtime.print(command, body, () =>
        table(
          ['ID', 'NAME', 'ROLE', 'CREATED'],
          body.workspaces.map((w) => [w.id, w.name, w.role, when(w.createdAt)]),
        ),
      );
    });
}
