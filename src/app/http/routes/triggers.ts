import { z } from 'zod';
import { receiveGithubHook, receiveWebhook } from '../../triggers/hooks.ts';
import { isUnstorable } from '../../triggers/payload.ts';
import type { TriggerDeps } from '../../triggers/trigger-deps.ts';
import {
  createTrigger,
  deleteTrigger,
  getTrigger,
  listTriggerEvents,
  listTriggers,
  updateTrigger,
} from '../../triggers/triggers.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, limit, name, timestamp } from './schemas.ts';

// Postgres refuses U+0000 in text and lone surrogates in jsonb: refuse them here, not with a 500.
const storable = (schema: z.ZodString) =>
  schema.refine((s) => !isUnstorable(s), 'must not contain U+0000 or unpaired surrogates');
const expression = storable(
  z.string().trim().min(1, 'must not be empty').max(4_000, 'must be at most 4000 characters'),
);
const eventName = z
  .string()
  .regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'expected an event name such as push (letters, digits, _ . : -)');
const inputName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,99}$/, 'expected an input name');
const action = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('start'),
    recipeId: id,
    dashboardId: id,
    inputs: z
      .record(inputName, expression)
      .default({})
      .describe('Input name -> CEL expression over `event`, e.g. event.payload.ref.substring(11)'),
  }),
  z.object({
    kind: z.literal('wake'),
    event: storable(z.string().min(1).max(200)).describe('The event name `wait` steps wait for'),
  }),
]);
const fields = {
  name: storable(name),
  event: eventName.nullable().describe('Only events of this name (X-GitHub-Event, or X-Baton-Event); null for any'),
  filter: expression
    .nullable()
    .describe(
      'A CEL expression over `event` ({ source, name, deliveryId, ' +
        'payload, receivedAt }) that must give true; null for every event',
    ),
  enabled: z.boolean(),
  action,
};
const createBody = z.object({
  ...fields,
  source: z.enum(['github', 'webhook']),
  event: fields.event.default(null),
  filter: fields.filter.default(null),
  enabled: fields.enabled.default(true),
});
const patchBody = z
  .object(fields)
  .partial()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change');

const actionSchema = z.union([
  z.object({ kind: z.literal('start'), recipeId: id, dashboardId: id, inputs: z.record(z.string(), z.string()) }),
  z.object({ kind: z.literal('wake'), event: z.string() }),
]);
const triggerSchema = z
  .object({
    id,
    workspaceId: id,
    name: z.string(),
    source: z.enum(['github', 'webhook']),
    event: z.string().nullable(),
    filter: z.string().nullable(),
    enabled: z.boolean(),
    action: actionSchema,
    hookUrl: z.string(),
    createdBy: id.nullable(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: 'Trigger' });
const firingSchema = z.object({
  outcome: z.enum(['started', 'woke', 'skipped', 'refused', 'failed']),
  executionId: id.nullable(),
  woke: z.number().int().nullable(),
  reason: z.string().nullable(),
  handledAt: timestamp,
});
const eventSchema = z
  .object({
    id,
    seq: z.number().int(),
    source: z.enum(['github', 'webhook']),
    name: z.string(),
    deliveryId: z.string(),
    payload: z.record(z.string(), z.unknown()),
    receivedAt: timestamp,
    firing: firingSchema.nullable().describe('What the trigger did; null while pending'),
  })
  .meta({ id: 'InboundEvent' });
const receivedSchema = z
  .object({ id: id.describe('The stored event'), duplicate: z.boolean() })
  .meta({ id: 'ReceivedHook' });
const hookBody = z.unknown().describe('A JSON object (application/json), signed as sent');
const notFound = { 404: { description: 'No such trigger or workspace (or you may not see it)' } } as const;
const hookResponses = {
  200: { description: 'A replayed delivery: accepted, nothing done', schema: receivedSchema },
  202: { description: 'Stored; the triggers act on it shortly', schema: receivedSchema },
  400: { description: 'The body is not a JSON object, or a header is missing or malformed' },
} as const;

/** Event triggers, and the signed webhooks that feed them. */
export function triggerRoutes(deps: () => TriggerDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'POST',
      path: '/v1/workspaces/{wid}/triggers',
      operationId: 'createTrigger',
      summary: "Create a trigger; a generic webhook's secret is in this answer only",
      tags: ['triggers'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ wid: id }), body: createBody },
      responses: {
        201: {
          description: 'Created (with `secret` for a generic webhook)',
          schema: triggerSchema.extend({ secret: z.string().optional() }),
        },
        ...authErrors,
        ...notFound,
        409: { description: 'The dashboard is archived' },
      },
      handler: async (request) => ({
        status: 201,
        body: await createTrigger(deps(), callerOf(request), request.params.wid, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/workspaces/{wid}/triggers',
      operationId: 'listTriggers',
      summary: 'Triggers of a workspace',
      tags: ['triggers'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ wid: id }) },
      responses: {
        200: { description: 'Triggers', schema: z.object({ triggers: z.array(triggerSchema) }) },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: { triggers: await listTriggers(deps(), callerOf(request), request.params.wid) },
      }),
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/triggers/{id}',
      operationId: 'getTrigger',
      summary: 'A trigger',
      tags: ['triggers'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: { 200: { description: 'The trigger', schema: triggerSchema }, ...authErrors, ...notFound },
      handler: async (request) => ({
        status: 200,
        body: await getTrigger(deps(), callerOf(request), request.params.id),
      }),
    }),
    defineRoute({
      method: 'PATCH',
      path: '/v1/triggers/{id}',
      operationId: 'updateTrigger',
      summary: "Change a trigger's name, event, filter, enabled flag or action",
      tags: ['triggers'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }), body: patchBody },
      responses: {
        200: { description: 'The trigger', schema: triggerSchema },
        ...authErrors,
        ...notFound,
        409: { description: 'The dashboard is archived' },
      },
      handler: async (request) => ({
        status: 200,
        body: await updateTrigger(deps(), callerOf(request), request.params.id, request.body, request.requestId),
      }),
    }),
    defineRoute({
      method: 'DELETE',
      path: '/v1/triggers/{id}',
      operationId: 'deleteTrigger',
      summary: 'Delete a trigger with the events it received',
      tags: ['triggers'],
      access: { kind: 'user', scope: 'write' },
      request: { params: z.object({ id }) },
      responses: { 204: { description: 'Deleted' }, ...authErrors, ...notFound },
      handler: async (request) => {
        await deleteTrigger(deps(), callerOf(request), request.params.id, request.requestId);
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/triggers/{id}/events',
      operationId: 'listTriggerEvents',
      summary: 'The events a trigger saw, newest first, with what it did',
      tags: ['triggers'],
      access: { kind: 'user', scope: 'read' },
      request: {
        params: z.object({ id }),
        query: z.object({
          limit,
          before: z.coerce
            .number({ error: 'expected a seq' })
            .int()
            .positive()
            .optional()
            .describe("Events older than this seq (the previous page's nextBefore)"),
        }),
      },
      responses: {
        200: {
          description: 'A page of events',
          schema: z.object({ events: z.array(eventSchema), nextBefore: z.number().int().nullable() }),
        },
        ...authErrors,
        ...notFound,
      },
      handler: async (request) => ({
        status: 200,
        body: await listTriggerEvents(deps(), callerOf(request), request.params.id, {
          limit: request.query.limit,
          ...(request.query.before === undefined ? {} : { before: request.query.before }),
        }),
      }),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/hooks/github',
      operationId: 'receiveGithubHook',
      summary:
        "A GitHub App's webhook for a connected installation (X-Hub-Signature-256, X-GitHub-Event, X-GitHub-Delivery)",
      tags: ['triggers'],
      // Not a user route: the HMAC signature with the connection's stored webhook secret says who is asking.
      access: { kind: 'public' },
      // A third party signs what it sends; text Postgres cannot store becomes U+FFFD (docs/triggers.md).
      unstorableText: 'replace',
      request: { body: hookBody },
      responses: {
        ...hookResponses,
        401: {
          description: 'No workspace connected the installation, or a missing or wrong signature; nothing stored',
        },
      },
      handler: async (request) => {
        const received = await receiveGithubHook(deps(), {
          body: request.body,
          rawBody: request.rawBody,
          headers: request.headers,
        });
        return { status: received.duplicate ? 200 : 202, body: received };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/hooks/{triggerId}',
      operationId: 'receiveWebhook',
      summary:
        'A generic webhook: X-Baton-Signature-256 (v1=HMAC-SHA256 with the ' +
        "trigger's secret over X-Baton-Timestamp, X-Baton-Delivery and the " +
        'body; within 5 minutes, once per delivery), optional X-Baton-Event',
      tags: ['triggers'],
      access: { kind: 'public' },
      // A third party signs what it sends; text Postgres cannot store becomes U+FFFD (docs/triggers.md).
      unstorableText: 'replace',
      request: { params: z.object({ triggerId: id }), body: hookBody },
      responses: {
        ...hookResponses,
        401: { description: 'Unknown trigger, or a missing or wrong signature; nothing stored' },
      },
      handler: async (request) => {
        const received = await receiveWebhook(deps(), request.params.triggerId, {
          body: request.body,
          rawBody: request.rawBody,
          headers: request.headers,
        });
        return { status: received.duplicate ? 200 : 202, body: received };
      },
    }),
  ];
}
