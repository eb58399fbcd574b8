import type { Command } from 'commander';
import type { Runtime } from '../runtime.ts';

/**
 * The operator commands, which work on the database directly (same environment as the server:
 * DATABASE_URL, BATON_CREDENTIAL_KEYS, …). Their code is the server's (src/main/cli.ts), loaded
 * only when one of them runs: the only import of src/ in cli/ (.dependency-cruiser.cjs allows
 * exactly this one), so every other command starts without the server's modules.
 */
async function operator(argv: string[]): Promise<number> {
  const { runOperatorCommand } = await import('../../src/main/cli.ts');
  return runOperatorCommand(argv);
}

/** `baton admin migrate|create-token|rotate-credentials`, and `migrate`, `rotate-credentials` as hidden aliases. */
export function registerAdmin(program: Command, runtime: Runtime): void {
  const admin = program
    .command('admin')
    .description('Operator commands on the database (run where the server runs, with its environment)');
  const migrate = (parent: Command, hidden: boolean) =>
    parent
      .command('migrate', { hidden })
      .description('Apply pending database migrations (also done at every start-up)')
      .action(async () => {
        runtime.exitCode = await operator(['migrate']);
      });
  const rotate = (parent: Command, hidden: boolean) =>
    parent
      .command('rotate-credentials', { hidden })
      .description(
        'Re-wrap every stored secret under the first key of ' +
          'BATON_CREDENTIAL_KEYS (safe while the server runs; docs/credentials.md)',
      )
      .option('--batch-size <n>', 'rows per transaction (1 to 10000)', '100')
      .action(async (opts: { batchSize: string }) => {
        runtime.exitCode = await operator(['rotate-credentials', '--batch-size', opts.batchSize]);
      });
  migrate(admin, false);
  admin
    .command('create-token')
    .description(
      'Create the user (and the workspace) if needed and print an ' +
        'API token with every scope; the token alone goes to stdout',
    )
    .option('--email <email>', "the user's e-mail address (required)")
    .option('--workspace <name>', 'also make (or reuse) this workspace of theirs')
    .option('--expires-in-days <n>', 'days until the token expires (1 to 365)')
    .addHelpText(
      'after',
      '\nExample:\n  TOKEN=$(baton admin create-token --email you@example.com --workspace "My team")',
    )
    .action(async (opts: { email?: string; workspace?: string; expiresInDays?: string }) => {
      // The operator code checks the values and explains what is missing (exit 2), as it always has.
      const argv = ['admin', 'create-token'];
      if (opts.email !== undefined) argv.push('--email', opts.email);
      if (opts.workspace !== undefined) argv.push('--workspace', opts.workspace);
      if (opts.expiresInDays !== undefined) argv.push('--expires-in-days', opts.expiresInDays);
      runtime.exitCode = await operator(argv);
    });
  rotate(admin, false);
  // The names operators and docs used before `admin` held them.
  migrate(program, true);
  rotate(program, true);
}
