import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import { inboxLimit, readInbox } from '../../orchestrator/inbox.ts';
import { callerOf, defineRoute, type AnyRoute } from '../route.ts';
import { authErrors, id, timestamp } from './schemas.ts';

const named = z.object({ id, name: z.string() });
const where = { workspace: named, dashboard: named, recipe: named };

const approvalSchema = z
  .object({
    ...where,
    executionId: id,
    stepId: z.string(),
    prompt: z.string().describe('What the step asks, as rendered when it began'),
    quorum: z.number().int(),
    approvals: z.number().int().describe('Approvals recorded so far'),
    waitingSince: timestamp.nullable(),
    links: z.object({
      execution: z.string(),
      approve: z.string().describe('POST here to approve'),
      reject: z.string().describe('POST here to reject'),
      dashboard: z.string(),
    }),
  })
  .meta({ id: 'InboxApproval' });

const failureSchema = z
  .object({
    ...where,
    executionId: id,
    reason: z.string().nullable(),
    failedStep: z.string().nullable().describe('The step that failed, if one did'),
    failedAt: timestamp.nullable(),
    links: z.object({
      execution: z.string(),
      retry: z.string().nullable().describe('POST here to retry the failed step'),
      dashboard: z.string(),
    }),
  })
  .meta({ id: 'InboxFailure' });

/** The caller's inbox: what waits for them across their workspaces. */
export function inboxRoutes(app: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/me/inbox',
      operationId: 'getMyInbox',
      summary:
        'What waits for you across your workspaces: approvals you may decide now ' +
        'and failed executions of dashboards you own, newest first, with counts',
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: {
        query: z.object({
          limit: z.coerce
            .number({ error: 'expected a number' })
            .int('expected a whole number')
            .min(1, 'must be at least 1')
            .max(inboxLimit, `must be at most ${inboxLimit}`)
            .default(inboxLimit)
            .describe('At most this many of each kind'),
        }),
      },
      responses: {
        200: {
          description: 'Your inbox; `counts` are the totals (up to 1,000 each), the lists the newest `limit` of each',
          schema: z.object({
            counts: z.object({ approvals: z.number().int(), failed: z.number().int() }),
            approvals: z.array(approvalSchema),
            failed: z.array(failureSchema),
          }),
        },
        ...authErrors,
      },
      handler: async (request) => ({ status: 200, body: await readInbox(app, callerOf(request), request.query.limit) }),
    }),
  ];
}
