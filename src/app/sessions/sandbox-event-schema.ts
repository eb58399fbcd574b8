import { z } from 'zod';

/** An artifact a run reports: what an execution produced. */
export const artifactSchema = z.object({
  /** Unique within the run: a repeated artifact id replaces the earlier one. */
  artifactId: z.string().min(1).max(200),
  kind: z.enum(['summary', 'link', 'diff', 'report', 'file']),
  title: z.string().min(1).max(500),
  url: z.string().url().max(2000).optional(),
  content: z.string().max(100_000).optional(),
});

const base = {
  /** Unique per event: a repeated id is a duplicate delivery and changes nothing. */
  id: z.string().min(8).max(100),
  sessionId: z.string().uuid(),
  /** The session epoch the sandbox was created for (fencing: a replaced sandbox's callbacks are refused). */
  epoch: z.number().int().min(1),
  sandboxId: z.string().min(1).max(200),
  at: z.string().datetime(),
};
const run = {
  ...base,
  runKey: z.string().min(1).max(500),
  /** The event's place in its run (1, 2, …): recovery asks the sandbox for the events after those Baton holds. */
  seq: z.number().int().min(1).max(2_147_483_647).optional(),
};
const cost = z.number().min(0).max(1_000_000).optional();

/** The body of a signed callback from a sandbox (`POST /v1/sandbox-events`). */
export const sandboxEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('heartbeat'), data: z.object({}).passthrough().default({}) }),
  z.object({ ...run, type: z.literal('run.started'), data: z.object({}).passthrough().default({}) }),
  z.object({
    ...run,
    type: z.literal('run.progress'),
    data: z.object({ message: z.string().max(5_000), percent: z.number().min(0).max(100).optional(), costUsd: cost }),
  }),
  z.object({ ...run, type: z.literal('run.artifact'), data: artifactSchema }),
  z.object({ ...run, type: z.literal('run.completed'), data: z.object({ output: z.unknown(), costUsd: cost }) }),
  z.object({
    ...run,
    type: z.literal('run.failed'),
    data: z.object({ error: z.string().max(10_000), retryable: z.boolean(), costUsd: cost }),
  }),
]);

/**
 * The body of `POST /v1/sandbox-events`: one event, or a batch of events that were ready at the
 * same moment, in order, all of one session epoch (signed as a whole).
 */
export const sandboxCallbackSchema = z.union([
  sandboxEventSchema,
  z
    .object({ events: z.array(sandboxEventSchema).min(1).max(50) })
    .strict()
    .refine((b) => b.events.every((e) => e.sessionId === b.events[0]?.sessionId && e.epoch === b.events[0]?.epoch), {
      message: 'every event of a batch must have the same sessionId and epoch',
      path: ['events'],
    }),
]);

/** A parsed sandbox event. */
export type SandboxEvent = z.infer<typeof sandboxEventSchema>;
/** A parsed callback body. */
export type SandboxCallback = z.infer<typeof sandboxCallbackSchema>;
/** An artifact as reported. */
export type ReportedArtifact = z.infer<typeof artifactSchema>;
