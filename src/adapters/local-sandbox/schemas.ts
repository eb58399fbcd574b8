import { z } from 'zod';
import { artifactSchema } from '../../app/sessions/sandbox-event-schema.ts';

/**
 * Request bodies of the local plane, as `api/sandbox.openapi.yaml` defines them. Unknown fields are
 * ignored (a newer Baton may send more); a bad field is a 400 that names it.
 */

const uuid = z.uuid({ error: 'expected a uuid' });

/** `POST /v1/sandboxes`. */
export const createSandboxBody = z.object({
  sessionId: uuid,
  epoch: z
    .number({ error: 'expected a whole number >= 1' })
    .int('expected a whole number >= 1')
    .min(1, 'expected a whole number >= 1'),
  callbackUrl: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }),
  callbackSecret: z.string({ error: 'expected a string' }).min(1, 'expected a non-empty string'),
  heartbeatSeconds: z
    .number({ error: 'expected a whole number of seconds' })
    .int('expected a whole number of seconds')
    .min(1)
    .max(3600),
  env: z.record(z.string(), z.string({ error: 'expected a string' }), { error: 'expected an object of strings' }),
});

/** One scripted progress report. */
const progressItem = z.object({
  message: z.string().max(5_000),
  percent: z.number().min(0).max(100).optional(),
  costUsd: z.number().min(0).max(1_000_000).optional(),
});

/** The outcomes a scripted run can have (see `ScriptedRun`). */
export const outcomes = ['succeed', 'fail', 'fail-retryable', 'hang', 'crash'] as const;

/**
 * The script a run reads from its `inputs`. Validated up front so a scripted run can never produce a
 * callback Baton would refuse; the other inputs are kept as they are.
 */
const runScript = z.looseObject({
  duration: z
    .number({ error: 'expected milliseconds' })
    .int('expected whole milliseconds')
    .min(0)
    .max(86_400_000)
    .default(0),
  outcome: z.enum(outcomes, { error: `expected one of ${outcomes.join(', ')}` }).default('succeed'),
  failAttempts: z.number().int().min(0).default(0),
  output: z.unknown().optional(),
  /** The message of a scripted failure (`fail`, `fail-retryable`). */
  error: z.string().min(1).max(10_000).optional(),
  progress: z.array(progressItem).max(1_000).default([]),
  artifacts: z
    .array(artifactSchema.omit({ artifactId: true }))
    .max(100)
    .default([]),
});

/** A sub-agent the run's agent may delegate to (docs/sub-agents.md). */
const subAgent = z.object(
  {
    name: z.string({ error: 'expected a string' }).min(1, 'expected a non-empty string'),
    description: z.string({ error: 'expected a string' }),
    prompt: z.string({ error: 'expected a string' }),
    tools: z.array(z.string(), { error: 'expected an array of strings' }),
    model: z.string({ error: 'expected a string' }).min(1, 'expected a non-empty string'),
  },
  { error: 'expected an object { name, description, prompt, tools, model }' },
);

/** `POST {sandbox}/runs`. */
export const startRunBody = z.object({
  idempotencyKey: z.string({ error: 'expected a string' }).min(1).max(500),
  profile: z.object(
    {
      name: z.string({ error: 'expected a string' }).min(1),
      model: z.string({ error: 'expected a string' }).min(1),
      tools: z.array(z.string(), { error: 'expected an array of strings' }),
      version: z
        .number({ error: 'expected a whole number >= 1' })
        .int('expected a whole number >= 1')
        .min(1, 'expected a whole number >= 1')
        .optional(),
    },
    { error: 'expected an object { name, model, tools }' },
  ),
  subAgents: z.array(subAgent, { error: 'expected an array of sub-agents' }).max(100).optional(),
  prompt: z.string({ error: 'expected a string' }),
  inputs: runScript,
  timeoutMs: z.number({ error: 'expected a whole number of milliseconds or null' }).int().min(1).nullable(),
  credentials: z.record(z.string(), z.string(), { error: 'expected an object of strings' }).optional(),
});

/** `POST {sandbox}/terminals`. */
export const openTerminalBody = z.object({
  userId: z.string({ error: 'expected a string' }).min(1).max(200),
});

/** A validated create request. */
export type CreateSandboxBody = z.infer<typeof createSandboxBody>;
/** A validated run request, with its script. */
export type StartRunBody = z.infer<typeof startRunBody>;
/** The script part of a run request. */
export type RunScript = StartRunBody['inputs'];
