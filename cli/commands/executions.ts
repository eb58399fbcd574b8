import type { Command } from 'commander';
import type { Schema } from '../../client/api.ts';
import { CliError, exitCodes } from '../exit-codes.ts';
import { path } from '../http.ts';
import { fields, table, when } from '../output.ts';
import { dashboardId, recipeId, workspaceId } from '../resolve.ts';
import type { Runtime } from '../runtime.ts';

type Execution = Schema<'Execution'>;

const repeat = (value: string, previous: string[] = []) => [
  ...previous,
  ...value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== ''),
];

function json(value: string, what: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    throw new CliError(`${what} is not JSON: ${value}`, exitCodes.usage);
  }
}

/** The execution as a person reads it: its fields, then its steps. */
export function describeExecution(execution: Execution): string {
  const head = fields([
    ['Execution', execution.id],
    ['Status', `${execution.status}${execution.waitingFor ? ` (waiting for ${execution.waitingFor})` : ''}`],
    ['Recipe', `${execution.recipeId} v${execution.recipeVersion}`],
    ['Dashboard', execution.dashboardId],
    ['Started', when(execution.startedAt)],
    ['Finished', when(execution.finishedAt)],
    ...(execution.reason === null ? [] : [['Reason', execution.reason] as const]),
  ]);
  const steps = table(
    ['STEP', 'STATUS', 'ATTEMPT', 'ERROR'],
    Object.entries(execution.steps).map(([id, step]) => [id, step.status, step.attempt, step.error]),
    '(no steps yet)',
  );
  return `${head}\n\n${steps}`;
}

/** `baton executions ls|show|pause|resume|cancel|retry|skip|input|move|signal`. */
export function registerExecutions(program: Command, runtime: Runtime): void {
  const executions = program.command('executions').description('Executions: find them, read them, and steer them');
  executions
    .command('ls')
    .description('Search executions of the dashboards you may see, newest first')
    .option(
      '--status <status>',
      'running, waiting, paused, succeeded, failed, cancelled (repeat or separate with commas)',
      repeat,
    )
    .option('--recipe <id|name>', 'executions of this recipe')
    .option('--dashboard <id|name>', 'executions in this dashboard')
    .option('--origin <kind>', 'what started it: person, schedule, trigger, parent')
    .option('--origin-id <id>', 'the schedule, trigger or parent execution that started it')
    .option('--created-by <userId>', 'who started it')
    .option('--created-after <time>', 'created at or after (ISO 8601 with offset)')
    .option('--created-before <time>', 'created before (ISO 8601 with offset)')
    .option('--limit <n>', 'at most this many')
    .option('--cursor <cursor>', 'the nextCursor of the previous page')
    .option('--workspace <id|name>', "the workspace (default: BATON_WORKSPACE, the context's, or your only one)")
    .action(
      async (
        opts: {
          status?: string[];
          recipe?: string;
          dashboard?: string;
          origin?: string;
          originId?: string;
          createdBy?: string;
          createdAfter?: string;
          createdBefore?: string;
          limit?: string;
          cursor?: string;
          workspace?: string;
        },
        command: Command,
      ) => {
        const connection = await runtime.connect(command);
        const wid = await workspaceId(connection, opts.workspace, runtime.env);
        const [recipe, dashboard] = await Promise.all([
          opts.recipe === undefined ? undefined : recipeId(connection, opts.recipe, wid, runtime.env),
          opts.dashboard === undefined ? undefined : dashboardId(connection, opts.dashboard, wid, runtime.env),
        ]);
        const page = await connection.api.get<Schema<'ExecutionPage'>>(
          path('/v1/workspaces/{wid}/executions', { wid }),
          {
            status: opts.status,
            recipeId: recipe,
            dashboardId: dashboard,
            origin: opts.origin,
            originId: opts.originId,
            createdBy: opts.createdBy,
            createdAfter: opts.createdAfter,
            createdBefore: opts.createdBefore,
            limit: opts.limit,
            cursor: opts.cursor,
          },
        );
        runtime.print(command, page, () => {
          const rows = table(
            ['ID', 'STATUS', 'RECIPE', 'ORIGIN', 'CREATED'],
            page.executions.map((e) => [
              e.id,
              e.status,
              `${e.recipeId} v${e.recipeVersion}`,
              e.origin.kind,
              when(e.createdAt),
            ]),
          );
          return page.nextCursor === null ? rows : `${rows}\nMore: --cursor ${page.nextCursor}`;
        });
      },
    );
  executions
    .command('show <execution>')
    .description('An execution: status, every step, what it waits for')
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { api } = await runtime.connect(command);
      const execution = await api.get<Execution>(path('/v1/executions/{id}', { id }));
      runtime.print(command, execution, () => describeExecution(execution));
    });

  /** An intervention: POST it, print the execution after it. */
  const intervene = async (command: Command, target: string, body: unknown) => {
    const { api } = await runtime.connect(command);
    const execution = await api.post<Execution>(target, body);
    runtime.print(command, execution, () => `${execution.id}: ${execution.status}`);
  };
  executions
    .command('pause <execution>')
    .description('Pause: running steps finish, nothing new starts')
    .action((id: string, _opts: unknown, command: Command) =>
      intervene(command, path('/v1/executions/{id}/pause', { id }), {}),
    );
  executions
    .command('resume <execution>')
    .description('Resume a paused execution')
    .action((id: string, _opts: unknown, command: Command) =>
      intervene(command, path('/v1/executions/{id}/resume', { id }), {}),
    );
  executions
    .command('cancel <execution>')
    .description('Cancel: running steps are cancelled in their sandboxes')
    .option('--reason <text>', 'why (kept in the history)')
    .action((id: string, opts: { reason?: string }, command: Command) =>
      intervene(
        command,
        path('/v1/executions/{id}/cancel', { id }),
        opts.reason === undefined ? {} : { reason: opts.reason },
      ),
    );
  executions
    .command('retry <execution> <step>')
    .description('Retry the failed step of a failed execution')
    .action((id: string, stepId: string, _opts: unknown, command: Command) =>
      intervene(command, path('/v1/executions/{id}/steps/{stepId}/retry', { id, stepId }), {}),
    );
  executions
    .command('skip <execution> <step>')
    .description('Skip a step (now, or when it is reached), optionally with the output later steps read')
    .option('--output <json>', "the step's output, as JSON")
    .action((id: string, stepId: string, opts: { output?: string }, command: Command) =>
      intervene(
        command,
        path('/v1/executions/{id}/steps/{stepId}/skip', { id, stepId }),
        opts.output === undefined ? {} : { output: json(opts.output, '--output') },
      ),
    );
  executions
    .command('input <execution> <step> <json>')
    .description('Replace the input of an agent step that has not started (a JSON object)')
    .action((id: string, stepId: string, input: string, _opts: unknown, command: Command) =>
      intervene(command, path('/v1/executions/{id}/steps/{stepId}/input', { id, stepId }), {
        input: json(input, 'the input'),
      }),
    );
  executions
    .command('move <execution>')
    .description('Run the remaining steps from a newer version of the recipe (default: its latest)')
    .option('--version <n>', 'the recipe version to move to')
    .action(async (id: string, opts: { version?: string }, command: Command) => {
      let version = opts.version === undefined ? undefined : Number(opts.version);
      if (version !== undefined && (!Number.isInteger(version) || version < 1))
        throw new CliError('--version must be a whole number from 1', exitCodes.usage);
      if (version === undefined) {
        const { api } = await runtime.connect(command);
        const execution = await api.get<Execution>(path('/v1/executions/{id}', { id }));
        version = (
          await api.get<Schema<'RecipeWithLatestVersion'>>(path('/v1/recipes/{id}', { id: execution.recipeId }))
        ).latestVersion;
      }
      await intervene(command, path('/v1/executions/{id}/move', { id }), { version });
    });
  executions
    .command('signal <execution> <event>')
    .description('Send an event to an execution: wait steps waiting for a matching one go on')
    .option('--payload <json>', "the event's payload, as JSON")
    .action((id: string, name: string, opts: { payload?: string }, command: Command) =>
      intervene(command, path('/v1/executions/{id}/events', { id }), {
        name,
        ...(opts.payload === undefined ? {} : { payload: json(opts.payload, '--payload') }),
      }),
    );
}
