import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { getArtifact, listArtifacts, listRuns } from '../../orchestrator/execution-details.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { executionCostSchema } from './execution-schemas.ts';
import { authErrors, id, limit, timestamp } from './schemas.ts';

const iso = (date: Date | null) => (date === null ? null : date.toISOString());

const artifactFields = {
  id,
  executionId: id,
  stepId: z.string(),
  runKey: z.string().describe('The run that reported it: `<execution>/<step>/<attempt>`'),
  artifactId: z.string().describe("The sandbox's id of it within its run"),
  kind: z.string().describe('summary, link, diff, report or file'),
  title: z.string(),
  url: z.string().nullable(),
  size: z.number().int().describe('Bytes of its content (UTF-8); 0 without content'),
  createdAt: timestamp,
};
const artifactEntrySchema = z
  .object({ ...artifactFields, preview: z.string().nullable().describe('The first 200 characters of its content') })
  .meta({ id: 'ArtifactEntry' });
const artifactSchema = z
  .object({
    ...artifactFields,
    content: z.string().nullable().describe('The whole content, as the sandbox reported it (text)'),
  })
  .meta({ id: 'Artifact' });
const runSchema = z
  .object({
    runKey: z.string(),
    stepId: z.string(),
    attempt: z.number().int(),
    sessionId: id,
    epoch: z.number().int().describe("The session's sandbox generation that ran it"),
    sandboxId: z
      .string()
      .nullable()
      .describe('The sandbox that ran it; null once its session moved to a newer sandbox'),
    status: z.enum(['dispatched', 'running', 'succeeded', 'failed', 'lost', 'cancelled']),
    costUsd: z.number().describe('The cost the sandbox reported, in US dollars'),
    maxCostUsd: z.number().nullable().describe('The budget the run was given'),
    progress: z.unknown().describe('The last progress report: { message, percent?, costUsd? }; null before the first'),
    error: z.string().nullable(),
    dispatchedAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'Run' });
const notFound = { 404: { description: 'No such execution (or you may not see it)' } } as const;

/** What executions' runs left behind: artifacts (listed, and each whole) and the runs with their cost. */
export function executionArtifactRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/executions/{id}/artifacts',
      operationId: 'listExecutionArtifacts',
      summary: "An execution's artifacts, oldest first, with a preview of each (after = the last id you have)",
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }), query: z.object({ after: id.optional(), limit }) },
      responses: {
        200: {
          description: 'Artifacts',
          schema: z.object({ artifacts: z.array(artifactEntrySchema), next: id.nullable() }),
        },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => {
        const page = await listArtifacts(app, callerOf(request), request.params.id, {
          after: request.query.after ?? null,
          limit: request.query.limit,
        });
        return {
          status: 200,
          body: {
            artifacts: page.artifacts.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
            next: page.next,
          },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/artifacts/{id}',
      operationId: 'getArtifact',
      summary: 'One artifact with its whole content (the dashboard keeps the first 2,000 characters)',
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: {
        200: { description: 'The artifact', schema: artifactSchema },
        ...authErrors,
        404: { description: 'No such artifact (or you may not see its execution)' },
      },
      handler: async (request) => {
        const artifact = await getArtifact(app, callerOf(request), request.params.id);
        return { status: 200, body: { ...artifact, createdAt: artifact.createdAt.toISOString() } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/executions/{id}/runs',
      operationId: 'listExecutionRuns',
      summary:
        "An execution's runs in sandboxes, in dispatch order, and its total cost (after = the last runKey you have)",
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }), query: z.object({ after: z.string().min(1).max(500).optional(), limit }) },
      responses: {
        200: {
          description: 'Runs',
          schema: z.object({ runs: z.array(runSchema), next: z.string().nullable(), cost: executionCostSchema }),
        },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => {
        const page = await listRuns(app, callerOf(request), request.params.id, {
          after: request.query.after ?? null,
          limit: request.query.limit,
        });
        const runs = page.runs.map((r) => ({
          ...r,
          dispatchedAt: r.dispatchedAt.toISOString(),
          startedAt: iso(r.startedAt),
          finishedAt: iso(r.finishedAt),
          updatedAt: r.updatedAt.toISOString(),
        }));
        return { status: 200, body: { runs, next: page.next, cost: page.cost } };
      },
    }),
  ];
}
