import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { path } from '../http.ts';
import { dashboardId, recipeId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';
import { runWatch } from './watch.ts';

/** `--input k=v` (a string) and `--input-json k=<json>` (any JSON value), collected into the inputs. */
function collect(kind: 'string' | 'json') {
  return (pair: string, inputs: Record<string, unknown>): Record<string, unknown> => {
    const eq = pair.indexOf('=');
    if (eq < 1)
      throw new CliError(`--input${kind === 'json' ? '-json' : ''} takes key=value, not "${pair}"`, exitCodes.usage);
    const key = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    if (kind === 'string') return { ...inputs, [key]: raw };
    try {
      return { ...inputs, [key]: JSON.parse(raw) as unknown };
    } catch {
      throw new CliError(`--input-json ${key}: the value is not JSON (${raw})`, exitCodes.usage);
    }
  };
}

/** `baton run <recipe> --dashboard … --input k=v`: starts an execution and prints its id. */
export function registerRun(program: Command, runtime: Runtime): void {
  program
    .command('run <recipe>')
    .description("Run a recipe (id or name) in a dashboard; prints the execution's id")
    .requiredOption('--dashboard <id|name>', 'the dashboard the execution runs in')
    .option('--input <key=value>', 'an input, as a string (repeat for several)', collect('string'), {})
    .option(
      '--input-json <key=json>',
      'an input as JSON: a number, true, a list, an object (repeat for several)',
      collect('json'),
      {},
    )
    .option('--workspace <id|name>', 'the workspace, to find the recipe or dashboard by name')
    .option('--watch', 'then follow it to its end, as `baton watch` does (the id goes to stderr)')
    .option('--exit-status', 'with --watch: exit with the outcome, 0 succeeded, 6 failed or cancelled')
    .addHelpText(
      'after',
      '\nExample:\n  baton run triage --dashboard ops --input repository=acme/api ' +
        '--input-json limit=10\n  baton run release --dashboard ops --watch --exit-status',
    )
    .action(
      async (
        given: string,
        opts: {
          dashboard: string;
          input: Record<string, unknown>;
          inputJson: Record<string, unknown>;
          workspace?: string;
          watch?: boolean;
          exitStatus?: boolean;
        },
        command: Command,
      ) => {
        const connection = await runtime.connect(command);
        const [id, dashboard] = await Promise.all([
          recipeId(connection, given, opts.workspace, runtime.env),
          dashboardId(connection, opts.dashboard, opts.workspace, runtime.env),
        ]);
        const execution = await connection.api.post<Schema<'Execution'>>(path('/v1/recipes/{id}/executions', { id }), {
          dashboardId: dashboard,
          inputs: { ...opts.input, ...opts.inputJson },
        });
        if (opts.watch !== true) return runtime.print(command, execution, () => execution.id);
        // stdout is the watch's alone (its first JSON line is this execution); the id is a note.
        runtime.note(`Started execution ${execution.id}`);
        await runWatch(runtime, command, execution.id, opts.exitStatus === true);
      },
    );
}
