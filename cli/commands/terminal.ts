import type { Command } from 'commander';
import { dashboardId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';
import { attachTerminal } from '../terminal/attach-terminal.ts';

/** Signals that end an attached terminal cleanly (Ctrl-C is a key in raw mode; piped, it ends it too). */
const endSignals = ['SIGTERM', 'SIGHUP', 'SIGINT'] as const;

/** `baton terminal <dashboard>`: this terminal attached to the dashboard's sandbox terminal. */
export function registerTerminal(program: Command, runtime: Runtime): void {
  program
    .command('terminal <dashboard>')
    .description(
      "Attach this terminal to the dashboard's sandbox terminal " +
        '(started on demand); ~. at the start of a line detaches',
    )
    .option('--workspace <id|name>', 'the workspace, to find the dashboard by name')
    .addHelpText(
      'after',
      '\nThe sandbox may be replaced (stopped, idle, lost): the terminal ' +
        'reattaches to the new one by itself.\nExample:\n  baton terminal ops',
    )
    .action(async (given: string, flags: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const id = await dashboardId(connection, given, flags.workspace, runtime.env);
      const controller = new AbortController();
      const handlers = endSignals.map((signal) => [signal, () => controller.abort(signal)] as const);
      // Ours run before the default exit: raw mode is restored and the socket closed first.
      for (const [signal, handler] of handlers) process.prependListener(signal, handler);
      try {
        runtime.exitCode = await attachTerminal({
          url: connection.url,
          token: connection.token,
          api: connection.api,
          dashboardId: id,
          stdin: runtime.io.stdin,
          stdout: runtime.io.stdout,
          stderr: runtime.io.stderr,
          signal: controller.signal,
          fallbackSize: { cols: Number(runtime.env.COLUMNS), rows: Number(runtime.env.LINES) },
        });
      } finally {
        for (const [signal, handler] of handlers) process.off(signal, handler);
      }
    });
}
