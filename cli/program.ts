import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAdmin } from './commands/admin.ts';
import { registerApprovals } from './commands/approvals.ts';
import { registerAuth } from './commands/auth.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerContexts } from './commands/contexts.ts';
import { registerDashboards } from './commands/dashboards.ts';
import { registerExecutions } from './commands/executions.ts';
import { registerItems } from './commands/items.ts';
import { registerRecipes } from './commands/recipes.ts';
import { registerRun } from './commands/run.ts';
import { registerSchedules } from './commands/schedules.ts';
import { registerTerminal } from './commands/terminal.ts';
import { registerTokens } from './commands/tokens.ts';
import { registerTriggers } from './commands/triggers.ts';
import { registerWatch } from './commands/watch.ts';
import { registerWhoami } from './commands/whoami.ts';
import { registerWorkspaces } from './commands/workspaces.ts';
import { CliError, exitCodes } from './exit-codes.ts';
import { ApiError } from './http.ts';
import type { Runtime } from './runtime.ts';

/** A command module: adds its commands to the program. */
export type Register = (program: Command, runtime: Runtime) => void;

/** Every command, in the order `baton --help` lists them. */
const modules: readonly Register[] = [
  registerAuth,
  registerContexts,
  registerWhoami,
  registerWorkspaces,
  registerDashboards,
  registerItems,
  registerRecipes,
  registerRun,
  registerExecutions,
  registerWatch,
  registerApprovals,
  registerTerminal,
  registerSchedules,
  registerTriggers,
  registerTokens,
  registerAdmin,
  registerCompletion,
];

/** The package's version (`baton --version`). */
const version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string })
  .version;

/** The `baton` command tree with its global options. */
export function createProgram(runtime: Runtime): Command {
  const program = new Command('baton')
    .description(
      'Baton from your terminal: sign in, run recipes, follow and steer executions, approve, and write to dashboards',
    )
    .version(version, '-V, --version', 'print the version')
    .option('--json', "print the API's JSON unchanged (one document), for scripts and agents")
    .option('--context <name>', 'the saved context (server and credential) to use instead of the current one')
    .option('--url <url>', "the Baton server (default: BATON_URL, else the context's)")
    .option('--token <token>', "an API token (default: BATON_TOKEN, else the context's stored one)")
    .option('--no-color', 'no colours (also NO_COLOR)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 error, 2 usage, 3 not signed in or forbidden, 4 not found, ' +
        '5 conflict, 6 execution failed (--exit-status), 130 interrupted.\nMore: docs/cli.md',
    )
    .configureOutput({
      writeOut: (text) => runtime.io.stdout.write(text),
      writeErr: (text) => runtime.io.stderr.write(text),
    })
    .showSuggestionAfterError()
    .exitOverride();
  // Settings above are copied into each subcommand as it is created, so they come first.
  for (const register of modules) register(program, runtime);
  return program;
}

/** Runs `baton <argv>` and resolves with the exit code (docs/cli.md); errors are printed, never thrown. */
export async function runCli(argv: readonly string[], runtime: Runtime): Promise<number> {
  const program = createProgram(runtime);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return runtime.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with 0; every other complaint of the parser is about the command line.
      return error.exitCode === 0 ||
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.help' ||
        error.code === 'commander.version'
        ? exitCodes.ok
        : exitCodes.usage;
    }
    if (error instanceof ApiError) {
      const json = argv.includes('--json');
      runtime.io.stderr.write(
        json ? `${JSON.stringify(error.body)}\n` : `Error: ${error.message}${detailLines(error)}\n`,
      );
      return error.exitCode;
    }
    if (error instanceof CliError) {
      runtime.io.stderr.write(`Error: ${error.message}\n`);
      return error.exitCode;
    }
    runtime.io.stderr.write(`Error: ${error instanceof Error ? error.message : String(error)}\n`);
    return exitCodes.error;
  }
}

/** A 400's issues, one per line under the message (`  steps.1.prompt: required`). */
function detailLines(error: ApiError): string {
  const issues = (error.details as { issues?: unknown } | undefined)?.issues;
  if (!Array.isArray(issues)) return '';
  return issues
    .map(
      (issue: { path?: unknown; message?: unknown }) =>
        `\n  ${typeof issue.path === 'string' && issue.path !== '' ? `${issue.path}: ` : ''}${String(issue.message)}`,
    )
    .join('');
}
