import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { Engine } from '../../orchestrator/engine.ts';
import {
  bulkIntervene,
  maxBulkIds,
  searchDashboardExecutions,
  searchWorkspaceExecutions,
} from '../../orchestrator/execution-search.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, limit, timestamp } from './schemas.ts';

const statuses = ['running', 'waiting', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
const origins = ['person', 'schedule', 'trigger', 'parent'] as const;

/** `status=failed&status=running` or `status=failed,running` (or both): any of them. */
const statusFilter = z
  .union([z.string().max(200), z.array(z.string().max(200)).max(20)])
  .transform((value) =>
    (Array.isArray(value) ? value : [value])
      .flatMap((part) => part.split(','))
      .map((part) => part.trim())
      .filter((part) => part !== ''),
  )
  .pipe(
    z.array(
      z.enum(statuses, {
        error: `expected one or more of ${statuses.join(', ')} (repeat status= or separate with commas)`,
      }),
    ),
  )
  .describe(`Any of these statuses: repeat \`status=\` or separate with commas (${statuses.join(', ')})`);

/**
 * An ISO 8601 time with offset in the years 1 to 9999 (the range Postgres and JavaScript
 * agree on); year 0 and such are a 400.
 */
const instant = timestamp.refine((value) => {
  const year = new Date(value).getUTCFullYear();
  return year >= 1 && year <= 9999;
}, 'must be a time between the years 1 and 9999');

const filters = {
  status: statusFilter.optional(),
  recipeId: id.optional().describe('Executions of this recipe'),
  origin: z.enum(origins).optional().describe('What started it: a person, a schedule, a trigger or a parent execution'),
  originId: id.optional().describe('The schedule, trigger or parent execution that started it'),
  createdBy: id.optional().describe('Who started it (for a schedule or trigger: its owner)'),
  createdAfter: instant.optional().describe('Created at or after this time (ISO 8601 with offset)'),
  createdBefore: instant.optional().describe('Created before this time (ISO 8601 with offset)'),
  cursor: z.string().min(1).max(200).optional().describe('`nextCursor` of the previous page'),
  limit,
};

const summarySchema = z
  .object({
    id,
    workspaceId: id,
    dashboardId: id,
    recipeId: id,
    recipeVersion: z.number().int(),
    status: z.enum(statuses),
    origin: z.object({ kind: z.enum(origins), id: id.nullable() }),
    createdBy: id.nullable(),
    createdAt: timestamp,
    finishedAt: z.number().nullable().describe('Epoch milliseconds'),
    reason: z.string().nullable(),
    active: z.array(z.string()),
  })
  .meta({ id: 'ExecutionSummary' });
const pageSchema = z
  .object({
    executions: z.array(summarySchema),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last'),
  })
  .meta({ id: 'ExecutionPage' });

const outcomeSchema = z
  .object({
    id,
    outcome: z.enum(['ok', 'not_found', 'conflict', 'forbidden']),
    status: z.enum(statuses).optional().describe('The status after the action (ok)'),
    reason: z.string().optional().describe('Why not (conflict, forbidden)'),
  })
  .meta({ id: 'BulkOutcome' });
const bulkSchema = z
  .object({
    results: z.array(outcomeSchema),
    counts: z.object({
      ok: z.number().int(),
      not_found: z.number().int(),
      conflict: z.number().int(),
      forbidden: z.number().int(),
    }),
  })
  .meta({ id: 'BulkResult' });
const ids = z
  .array(id)
  .min(1, 'must name at least one execution')
  .max(maxBulkIds, `must name at most ${maxBulkIds} executions`);

type Query = {
  status?: Array<(typeof statuses)[number]>;
  recipeId?: string;
  origin?: (typeof origins)[number];
  originId?: string;
  createdBy?: string;
  createdAfter?: string;
  createdBefore?: string;
  cursor?: string;
  limit: number;
};

/** The query as the use case takes it (absent filters left out). */
function asQuery(query: Query) {
  return {
    limit: query.limit,
    ...(query.status === undefined ? {} : { statuses: query.status }),
    ...(query.recipeId === undefined ? {} : { recipeId: query.recipeId }),
    ...(query.origin === undefined ? {} : { origin: query.origin }),
    ...(query.originId === undefined ? {} : { originId: query.originId }),
    ...(query.createdBy === undefined ? {} : { createdBy: query.createdBy }),
    ...(query.createdAfter === undefined ? {} : { createdAfter: new Date(query.createdAfter) }),
    ...(query.createdBefore === undefined ? {} : { createdBefore: new Date(query.createdBefore) }),
    ...(query.cursor === undefined ? {} : { cursor: query.cursor }),
  };
}

/** Execution search (a workspace's, a dashboard's) and bulk cancel and retry by ids. */
export function executionSearchRoutes(app: AppContext, engine: () => Engine): AnyRoute[] {
  const hidden = { 404: { description: 'No such workspace, dashboard or recipe (or you may not see it)' } } as const;
  const badInput = { 400: { description: 'A filter or the cursor is not valid (the error names it)' } } as const;
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/executions',
      operationId: 'searchExecutions',
      summary: 'Executions of the dashboards you may see, newest first, filtered, a page at a time',
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: {
        params: z.object({ wid: id }),
        query: z.object({ ...filters, dashboardId: id.optional().describe('Executions of this dashboard') }),
      },
      responses: {
        200: { description: 'A page of executions', schema: pageSchema },
        ...badInput,
        ...authErrors,
        ...hidden,
      },
      handler: async (request) => {
        const query = request.query;
        return {
          status: 200,
          body: await searchWorkspaceExecutions(app, callerOf(request), request.params.wid, {
            ...asQuery(query),
            ...(query.dashboardId === undefined ? {} : { dashboardId: query.dashboardId }),
          }),
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/dashboards/{id}/executions',
      operationId: 'searchDashboardExecutions',
      summary: "A dashboard's executions, newest first, filtered, a page at a time",
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }), query: z.object(filters) },
      responses: {
        200: { description: 'A page of executions', schema: pageSchema },
        ...badInput,
        ...authErrors,
        ...hidden,
      },
      handler: async (request) => ({
        status: 200,
        body: await searchDashboardExecutions(app, callerOf(request), request.params.id, asQuery(request.query)),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/executions/cancel',
      operationId: 'cancelExecutions',
      summary: 'Cancel executions by id; each one as POST /v1/executions/{id}/cancel, its outcome reported',
      tags: ['executions'],
      access: { kind: 'user', scope: 'control' },
      request: { params: z.object({ wid: id }), body: z.object({ ids, reason: z.string().max(2_000).optional() }) },
      responses: {
        200: { description: "Each execution's outcome", schema: bulkSchema },
        ...authErrors,
        404: { description: 'No such workspace (or you may not see it)' },
      },
      handler: async (request) => ({
        status: 200,
        body: await bulkIntervene(
          app,
          engine(),
          callerOf(request),
          request.params.wid,
          { kind: 'cancel', ...(request.body.reason === undefined ? {} : { reason: request.body.reason }) },
          request.body.ids,
          request.requestId,
        ),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/executions/retry',
      operationId: 'retryExecutions',
      summary:
        'Retry failed executions by id (their failed step, as POST ' +
        '/v1/executions/{id}/steps/{stepId}/retry), each outcome reported',
      tags: ['executions'],
      access: { kind: 'user', scope: 'control' },
      request: { params: z.object({ wid: id }), body: z.object({ ids }) },
      responses: {
        200: { description: "Each execution's outcome", schema: bulkSchema },
        ...authErrors,
        404: { description: 'No such workspace (or you may not see it)' },
      },
      handler: async (request) => ({
        status: 200,
        body: await bulkIntervene(
          app,
          engine(),
          callerOf(request),
          request.params.wid,
          { kind: 'retry' },
          request.body.ids,
          request.requestId,
        ),
      }),
    }),
  ];
}
