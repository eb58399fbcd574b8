import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { path } from '../http.ts';
import { table, when } from '../output.ts';
import { dashboardId, recipeId, workspaceId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

type Schedule = Schema<'Schedule'>;
const workspaceHelp = "the workspace (default: BATON_WORKSPACE, the context's, or your only one)";

const pair = (value: string, inputs: Record<string, string>) => {
  const eq = value.indexOf('=');
  if (eq < 1) throw new CliError(`--input takes key=value, not "${value}"`, exitCodes.usage);
  return { ...inputs, [value.slice(0, eq)]: value.slice(eq + 1) };
};

/** `baton schedules ls|create|pause|resume|fires`. */
export function registerSchedules(program: Command, runtime: Runtime): void {
  const schedules = program.command('schedules').description('Schedules: a recipe on a cron in a time zone');
  schedules
    .command('ls')
    .description('List the schedules of a workspace')
    .option('--workspace <id|name>', workspaceHelp)
    .action(async (opts: { workspace?: string }, command: Command) => {
      const connection = await runtime.connect(command);
      const wid = await workspaceId(connection, opts.workspace, runtime.env);
      const body = await connection.api.get<{ schedules: Schedule[] }>(path('/v1/workspaces/{wid}/schedules', { wid }));
      runtime.print(command, body, () =>
        table(
          ['ID', 'NAME', 'CRON', 'TIME ZONE', 'PAUSED', 'NEXT'],
          body.schedules.map((s) => [s.id, s.name, s.cron, s.timezone, s.paused ? 'yes' : 'no', when(s.nextFires[0])]),
        ),
      );
    });
  schedules
    .command('create <recipe>')
    .description("Run a recipe (id or name) on a cron; prints the schedule's id")
    .requiredOption('--dashboard <id|name>', 'the dashboard its executions run in')
    .requiredOption('--cron <expression>', 'five fields (minute hour day month weekday), or six with seconds first')
    .requiredOption('--name <name>', "the schedule's name")
    .option('--timezone <zone>', 'IANA time zone the cron is read in', 'UTC')
    .option('--overlap <policy>', 'skip, queue-one, allow, cancel-previous, skip-while-working', 'skip')
    .option('--input <key=value>', 'an input of every execution (repeat for several)', pair, {})
    .option('--paused', 'create it paused')
    .option('--end-at <time>', 'no fires after this time (ISO 8601 with offset)')
    .option('--workspace <id|name>', workspaceHelp)
    .action(
      async (
        given: string,
        opts: {
          dashboard: string;
          cron: string;
          name: string;
          timezone: string;
          overlap: string;
          input: Record<string, string>;
          paused?: boolean;
          endAt?: string;
          workspace?: string;
        },
        command: Command,
      ) => {
        const connection = await runtime.connect(command);
        const wid = await workspaceId(connection, opts.workspace, runtime.env);
        const [recipe, dashboard] = await Promise.all([
          recipeId(connection, given, wid, runtime.env),
          dashboardId(connection, opts.dashboard, wid, runtime.env),
        ]);
        const created = await connection.api.post<Schedule>(path('/v1/workspaces/{wid}/schedules', { wid }), {
          name: opts.name,
          recipeId: recipe,
          dashboardId: dashboard,
          cron: opts.cron,
          timezone: opts.timezone,
          overlap: opts.overlap,
          inputs: opts.input,
          paused: opts.paused === true,
          ...(opts.endAt === undefined ? {} : { endAt: opts.endAt }),
        });
        runtime.print(command, created, () => created.id);
      },
    );
  for (const [verb, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    schedules
      .command(`${verb} <schedule>`)
      .description(paused ? 'Pause a schedule: no fires until resumed' : 'Resume a paused schedule')
      .action(async (id: string, _opts: unknown, command: Command) => {
        const { api } = await runtime.connect(command);
        const updated = await api.patch<Schedule>(path('/v1/schedules/{id}', { id }), { paused });
        runtime.print(
          command,
          updated,
          () => `${updated.name}: ${updated.paused ? 'paused' : `next fire ${when(updated.nextFires[0])}`}`,
        );
      });
  }
  schedules
    .command('fires <schedule>')
    .description("What a schedule's fires did, newest first")
    .option('--limit <n>', 'at most this many')
    .option('--before <time>', 'fires before this time (the `next` of the previous page)')
    .action(async (id: string, opts: { limit?: string; before?: string }, command: Command) => {
      const { api } = await runtime.connect(command);
      const body = await api.get<{ fires: Array<Schema<'ScheduleFire'>>; next: string | null }>(
        path('/v1/schedules/{id}/fires', { id }),
        { limit: opts.limit, before: opts.before },
      );
      runtime.print(command, body, () =>
        table(
          ['FIRE AT', 'OUTCOME', 'EXECUTION', 'REASON'],
          body.fires.map((f) => [when(f.fireAt), f.outcome, f.executionId, f.reason]),
          'No fires yet.',
        ),
      );
    });
}
