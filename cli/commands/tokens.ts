import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { path } from '../http.ts';
import { table, when } from '../output.ts';
import type { Runtime } from '../runtime.ts';

type Token = Schema<'ApiToken'>;

/** `baton tokens ls|create|revoke`: your API tokens (the admin scope is needed). */
export function registerTokens(program: Command, runtime: Runtime): void {
  const tokens = program
    .command('tokens')
    .description('Your API tokens: scoped, expiring, revocable (needs a credential with the admin scope)');
  tokens
    .command('ls')
    .description('List your API tokens (never their secrets)')
    .action(async (_opts: unknown, command: Command) => {
      const { api } = await runtime.connect(command);
      const body = await api.get<{ tokens: Token[] }>('/v1/tokens');
      runtime.print(command, body, () =>
        table(
          ['ID', 'NAME', 'PREFIX', 'SCOPES', 'EXPIRES', 'LAST USED', 'REVOKED'],
          body.tokens.map((t) => [
            t.id,
            t.name,
            t.prefix,
            t.scopes.join(','),
            when(t.expiresAt),
            when(t.lastUsedAt),
            when(t.revokedAt),
          ]),
        ),
      );
    });
  tokens
    .command('create <name>')
    .description('Create an API token; its secret alone is printed on stdout, only now')
    .option('--scopes <scopes>', 'comma-separated: read, write, control, admin', 'read,write,control')
    .option('--dashboard <id>', 'restrict it to this dashboard (for a sandbox)')
    .option('--expires-in-days <n>', "days until it expires (default: the server's)")
    .action(
      async (name: string, opts: { scopes: string; dashboard?: string; expiresInDays?: string }, command: Command) => {
        const { api } = await runtime.connect(command);
        const created = await api.post<Token & { token: string }>('/v1/tokens', {
          name,
          scopes: opts.scopes
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
          ...(opts.dashboard === undefined ? {} : { dashboardId: opts.dashboard }),
          ...(opts.expiresInDays === undefined ? {} : { expiresInDays: Number(opts.expiresInDays) }),
        });
        if (!runtime.options(command).json)
          runtime.note(
            `Token "${created.name}" (${created.id}), scopes ${created.scopes.join(', ')}` +
              `, expires ${when(created.expiresAt)}. It is shown only now:`,
          );
        runtime.print(command, created, () => created.token);
      },
    );
  tokens
    .command('revoke <token>')
    .description('Revoke one of your API tokens by id')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { api } = await runtime.connect(command);
      await api.delete(path('/v1/tokens/{id}', { id }));
      runtime.print(command, { id, revoked: true }, () => `Revoked ${id}.`);
    });
}
