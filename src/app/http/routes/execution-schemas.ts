import { z } from 'zod';
import { id } from './schemas.ts';

const status = z.enum(['running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled']);
const stepState = z
  .object({
    status: z.enum(['pending', 'scheduled', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled']),
    attempt: z.number().int(),
    tries: z.number().int(),
    visit: z.number().int(),
    input: z.record(z.string(), z.unknown()).nullable(),
    output: z.unknown(),
    error: z.string().nullable(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    decisions: z.array(z.object({ userId: id, approved: z.boolean(), comment: z.string().nullable(), at: z.number() })),
    childExecutionId: id
      .nullable()
      .optional()
      .describe('Recipe steps: the child execution of the current attempt, once it started'),
  })
  .meta({ id: 'StepState' });

/** What an execution's runs cost (GET /v1/executions/{id} and its runs). */
export const executionCostSchema = z
  .object({
    totalUsd: z.number().describe('What its runs reported, summed, in US dollars'),
    runs: z.number().int().describe('How many runs were dispatched for it'),
  })
  .meta({ id: 'ExecutionCost' });

/** An execution as the API returns it (times are epoch milliseconds, as the engine keeps them). */
export const executionSchema = z
  .object({
    id,
    workspaceId: id,
    dashboardId: id,
    recipeId: id,
    recipeVersion: z.number().int(),
    status,
    inputs: z.record(z.string(), z.unknown()),
    steps: z.record(z.string(), stepState),
    active: z.array(z.string()),
    startedAt: z.number(),
    finishedAt: z.number().nullable(),
    deadlineAt: z.number().nullable(),
    reason: z.string().nullable(),
    version: z.number().int(),
    createdBy: id.nullable(),
    parent: z
      .object({ executionId: id, stepId: z.string(), attempt: z.number().int(), depth: z.number().int() })
      .nullable()
      .optional()
      .describe(
        'A child execution: the parent execution, its recipe step and ' +
          'attempt that started it, and how deep it is below its top execution',
      ),
    pinned: z
      .record(z.string(), z.object({ recipeId: id, version: z.number().int() }))
      .optional()
      .describe('Recipe steps: the child recipe version each runs, pinned when the execution started'),
    waitingFor: z
      .enum(['sandbox', 'approval', 'event', 'timer'])
      .nullable()
      .optional()
      .describe(
        'What the execution waits for (GET /v1/executions/{id}): `sandbox` (an agent step ' +
          "waits in the workspace's queue for a sandbox slot), `approval` (people), `event` (a " +
          "wait step's event), `timer` (a wait step's time); null when it is working or finished",
      ),
    queuePosition: z
      .number()
      .int()
      .min(1)
      .nullable()
      .optional()
      .describe("With `waitingFor: sandbox`: its place in the workspace's queue (1: the next slot is its)"),
    summary: z
      .string()
      .nullable()
      .optional()
      .describe(
        "What it came to, once finished (GET /v1/executions/{id}): the recipe's `summary` template, else " +
          'the `summary` of the agent step that succeeded last; null while it runs, or when there is none',
      ),
    cost: executionCostSchema
      .optional()
      .describe(
        'What its runs in sandboxes cost so far (GET /v1/executions/{id}; per run: GET /v1/executions/{id}/runs)',
      ),
  })
  .meta({ id: 'Execution' });
