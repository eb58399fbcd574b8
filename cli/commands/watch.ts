import type { Command } from 'commander';
import type { Runtime } from '../runtime.ts';
import { watchExecution } from '../watch/watch-execution.ts';

/** The `watch` command's own options. */
interface WatchFlags {
  readonly exitStatus?: boolean;
}

/**
 * Follows an execution (the `watch` command, also `executions watch`): shared with `run --watch`,
 * which calls `watchExecution` the same way. Sets the exit code from the outcome with `--exit-status`.
 */
export async function runWatch(
  runtime: Runtime,
  command: Command,
  executionId: string,
  exitStatus: boolean,
): Promise<void> {
  const connection = await runtime.connect(command);
  const given = runtime.options(command);
  runtime.exitCode = await watchExecution({
    url: connection.url,
    token: connection.token,
    api: connection.api,
    executionId,
    json: given.json,
    color: given.color,
    exitStatus,
    out: runtime.io.stdout,
  });
}

/**
 * `baton watch <execution> [--exit-status]`: the live step tree of an execution; also
 * `baton executions watch` (the issue lists it among the execution commands), so this runs after
 * the executions module has registered its group.
 */
export function registerWatch(program: Command, runtime: Runtime): void {
  const executions = program.commands.find((command) => command.name() === 'executions');
  for (const parent of executions === undefined ? [program] : [program, executions]) {
    parent
      .command('watch <execution>')
      .description(
        'Follow an execution live until it finishes: its step tree ' +
          'redrawn in place on a terminal, one JSON event per line otherwise',
      )
      .option('--exit-status', 'exit with the outcome: 0 succeeded, 6 failed or cancelled')
      .addHelpText(
        'after',
        '\nNot a terminal (or --json): one JSON object per line: execution, step, approval, progress, ' +
          'artifact, then outcome (docs/cli.md).\nExample:\n  baton watch 0f3c… --exit-status && echo shipped',
      )
      .action(async (executionId: string, flags: WatchFlags, command: Command) =>
        runWatch(runtime, command, executionId, flags.exitStatus === true),
      );
  }
}
