import { z } from 'zod';
import { overlapPolicies } from '../../../domain/schedules/policy.ts';
import type { ScheduleFire } from '../../../ports/schedules.ts';
import type { ScheduleDeps } from '../../schedules/schedule-deps.ts';
import {
  createSchedule,
  deleteSchedule,
  getSchedule,
  listScheduleFires,
  listSchedules,
  updateSchedule,
  type ScheduleView,
} from '../../schedules/schedules.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, limit, name, timestamp } from './schemas.ts';

const catchUp = z
  .object({
    mode: z
      .enum(['none', 'latest', 'all'])
      .describe('Missed fires (Baton was down): run none, the latest, or all (newest `limit`)'),
    limit: z.number().int().min(1).max(100).default(10).describe('With `all`: at most this many missed fires run'),
  })
  .meta({ id: 'ScheduleCatchUp' });
const fields = {
  name,
  inputs: z.record(z.string(), z.unknown()).describe("The recipe's inputs for every execution it starts"),
  cron: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe('Five fields (minute hour day month weekday), or six with seconds first'),
  timezone: z
    .string()
    .min(1)
    .max(64)
    .describe('IANA time zone the cron is read in, e.g. Europe/Berlin; daylight-saving changes are followed'),
  overlap: z
    .enum(overlapPolicies)
    .describe(
      'When the previous execution is unfinished: skip, queue-one, allow, ' +
        'cancel-previous, or skip-while-working (skip unless it only waits for a person)',
    ),
  catchUp,
  paused: z.boolean(),
  endAt: timestamp.nullable().describe('No fires after this time'),
};
const createBody = z.object({
  ...fields,
  recipeId: id,
  dashboardId: id,
  inputs: fields.inputs.default({}),
  timezone: fields.timezone.default('UTC'),
  overlap: fields.overlap.default('skip'),
  catchUp: catchUp.default({ mode: 'latest', limit: 10 }),
  paused: fields.paused.default(false),
  endAt: fields.endAt.default(null),
});
const patchBody = z
  .object({
    ...fields,
    name: name.optional(),
    inputs: fields.inputs.optional(),
    cron: fields.cron.optional(),
    timezone: fields.timezone.optional(),
    overlap: fields.overlap.optional(),
    catchUp: catchUp.optional(),
    paused: fields.paused.optional(),
    endAt: fields.endAt.optional(),
  })
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change');
const scheduleSchema = z
  .object({
    id,
    workspaceId: id,
    dashboardId: id,
    recipeId: id,
    name: z.string(),
    inputs: z.record(z.string(), z.unknown()),
    cron: z.string(),
    timezone: z.string(),
    overlap: z.enum(overlapPolicies),
    catchUp,
    paused: z.boolean(),
    endAt: timestamp.nullable(),
    nextFires: z.array(timestamp).describe('The next fire times (up to five; none while paused or after the end)'),
    lastExecutionId: id.nullable(),
    queuedFireAt: timestamp.nullable(),
    createdBy: id.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Schedule' });
const fireSchema = z
  .object({
    fireAt: timestamp,
    outcome: z.enum(['started', 'skipped', 'queued', 'missed', 'refused']),
    executionId: id.nullable(),
    reason: z.string().nullable(),
    handledAt: timestamp,
  })
  .meta({ id: 'ScheduleFire' });
const notFound = { 404: { description: 'No such schedule (or you may not see it)' } } as const;

const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const scheduleJson = (s: ScheduleView) => ({
  ...s,
  inputs: { ...s.inputs },
  endAt: iso(s.endAt),
  nextFires: s.nextFires.map((d) => d.toISOString()),
  queuedFireAt: iso(s.queuedFireAt),
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});
const fireJson = (f: ScheduleFire) => ({
  fireAt: f.fireAt.toISOString(),
  outcome: f.outcome,
  executionId: f.executionId,
  reason: f.reason,
  handledAt: f.handledAt.toISOString(),
});

/** Schedules: a recipe started on a cron, with overlap and catch-up policies, and their fires. */
export function scheduleRoutes(deps: () => ScheduleDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/schedules',
      operationId: 'createSchedule',
      summary: "Start a recipe on a cron in a time zone (needs control of the dashboard's executions)",
      tags: ['schedules'],
      access: { kind: 'user', scope: 'control' },
      request: { params: z.object({ wid: id }), body: createBody },
      responses: {
        201: { description: 'Created', schema: scheduleSchema },
        ...authErrors,
        404: { description: 'No such workspace, recipe or dashboard (or you may not see it)' },
      },
      handler: async (request) => ({
        status: 201,
        body: scheduleJson(
          await createSchedule(
            deps(),
            callerOf(request),
            request.params.wid,
            { ...request.body, endAt: toDate(request.body.endAt) },
            request.requestId,
          ),
        ),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/schedules',
      operationId: 'listSchedules',
      summary: 'Schedules of a workspace (those whose dashboards you can see)',
      tags: ['schedules'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'Schedules', schema: z.object({ schedules: z.array(scheduleSchema) }) },
        ...authErrors,
        404: { description: 'No such workspace (or you may not see it)' },
      },
      handler: async (request) => ({
        status: 200,
        body: { schedules: (await listSchedules(deps(), callerOf(request), request.params.wid)).map(scheduleJson) },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/schedules/{id}',
      operationId: 'getSchedule',
      summary: 'A schedule with its next fire times',
      tags: ['schedules'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: { 200: { description: 'The schedule', schema: scheduleSchema }, ...authErrors, ...notFound },
      handler: async (request) => ({
        status: 200,
        body: scheduleJson(await getSchedule(deps(), callerOf(request), request.params.id)),
      }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/v1/schedules/{id}',
      operationId: 'updateSchedule',
      summary: 'Change a schedule: pause or resume it, its cron, time zone, policies, inputs or end',
      tags: ['schedules'],
      access: { kind: 'user', scope: 'control' },
      request: { params: z.object({ id }), body: patchBody },
      responses: { 200: { description: 'The schedule', schema: scheduleSchema }, ...authErrors, ...notFound },
      handler: async (request) => {
        const { endAt, ...rest } = request.body;
        return {
          status: 200,
          body: scheduleJson(
            await updateSchedule(
              deps(),
              callerOf(request),
              request.params.id,
              { ...rest, ...(endAt === undefined ? {} : { endAt: toDate(endAt) }) },
              request.requestId,
            ),
          ),
        };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/schedules/{id}',
      operationId: 'deleteSchedule',
      summary: 'Delete a schedule and its fires (executions it started stay)',
      tags: ['schedules'],
      access: { kind: 'user', scope: 'control' },
      request: { params: z.object({ id }) },
      responses: { 204: { description: 'Deleted' }, ...authErrors, ...notFound },
      handler: async (request) => {
        await deleteSchedule(deps(), callerOf(request), request.params.id, request.requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/schedules/{id}/fires',
      operationId: 'listScheduleFires',
      summary: 'Past fires, newest first: the execution each started, or why none was',
      tags: ['schedules'],
      access: { kind: 'user', scope: 'read' },
      request: {
        params: z.object({ id }),
        query: z.object({
          before: timestamp.optional().describe('Fires before this time (the `next` of the previous page)'),
          limit,
        }),
      },
      responses: {
        200: { description: 'Fires', schema: z.object({ fires: z.array(fireSchema), next: timestamp.nullable() }) },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => {
        const page = await listScheduleFires(deps(), callerOf(request), request.params.id, {
          before: toDate(request.query.before ?? null),
          limit: request.query.limit,
        });
        return { status: 200, body: { fires: page.fires.map(fireJson), next: page.next } };
      },
    }),
  ];
}

function toDate(value: string | null): Date | null {
  return value === null ? null : new Date(value);
}
