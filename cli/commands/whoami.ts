import type { Command } from 'commander';
import { fields } from '../output.ts';
import type { Me } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

/** `baton whoami`: GET /v1/me. */
export function registerWhoami(program: Command, runtime: Runtime): void {
  program
    .command('whoami')
    .description('Who you are signed in as, how, and your workspaces')
    .action(async (_opts: unknown, command: Command) => {
      const connection = await runtime.connect(command);
      const me = await connection.api.get<Me>('/v1/me');
      runtime.print(command, me, () =>
        fields([
          ['User', `${me.user.email ?? '-'}${me.user.name === null ? '' : ` (${me.user.name})`}`],
          ['Server', connection.url],
          ['Context', connection.contextName],
          [
            'Via',
            me.authentication.via === 'token' ? `API token ${me.authentication.tokenId ?? ''}`.trim() : 'session',
          ],
          ['Scopes', me.authentication.scopes.join(', ')],
          ['Workspaces', me.workspaces.map((w) => `${w.name} (${w.role})`).join(', ') || '-'],
        ]),
      );
    });
}
