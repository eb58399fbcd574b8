import { z } from 'zod';
import type { AppContext } from '../../context.ts';
import type { Engine, EventBody } from '../../orchestrator/engine.ts';
import { executionHistory, getExecution, intervene, type ExecutionView } from '../../orchestrator/executions.ts';
import { waitingFor } from '../../orchestrator/waiting-for.ts';
import { executionOutcome } from '../../orchestrator/execution-details.ts';
import { isFinishedStatus } from '../../../domain/orchestrator/execution.ts';
import type { SessionStore } from '../../../ports/sessions.ts';
import { callerOf, defineRoute, type AnyRoute, type RouteRequest } from '../route.ts';
import { executionSchema } from './execution-schemas.ts';
import { authErrors, id, limit, maxInt32, timestamp } from './schemas.ts';

const stepId = z.string().min(1).max(100);
const refused = {
  404: { description: 'No such execution or step (or you may not see it)' },
  409: { description: 'The intervention does not apply to the execution now' },
} as const;
const historySchema = z
  .object({ seq: z.number().int(), event: z.record(z.string(), z.unknown()), createdAt: timestamp })
  .meta({ id: 'ExecutionHistoryEntry' });

/** Executions: read them, their history, and every human intervention. */
export function executionRoutes(
  app: AppContext,
  engine: () => Engine,
  slots?: () => Pick<SessionStore, 'queuePosition'> | undefined,
): AnyRoute[] {
  /**
   * `waitingFor` and `queuePosition`: one query for the sandbox queue, and the recipe for the kind of a waiting step.
   */
  const waitingStatus = async (execution: ExecutionView) => {
    if (isFinishedStatus(execution.status)) return { waitingFor: null, queuePosition: null };
    const position = (await slots?.()?.queuePosition(execution.id)) ?? null;
    const recipe =
      position === null && execution.status === 'waiting'
        ? (await app.recipes.version(execution.recipeId, execution.recipeVersion))?.compiled
        : undefined;
    return { waitingFor: waitingFor(execution, recipe, position !== null), queuePosition: position };
  };
  /** An intervention route: POST, control scope, the body turned into a history event. */
  const intervention = <B extends z.ZodType>(
    path: string,
    operationId: string,
    summary: string,
    body: B,
    toEvent: (request: RouteRequest<Record<string, string>, unknown, z.infer<B>>) => EventBody,
    hasStep = true,
  ) =>
    defineRoute({
      method: 'POST',
      path,
      operationId,
      summary,
      tags: ['executions'],
      access: { kind: 'user', scope: 'control' },
      request: { params: hasStep ? z.object({ id, stepId }) : z.object({ id }), body },
      responses: {
        200: { description: 'The execution after the intervention', schema: executionSchema },
        ...authErrors,
        ...refused,
      },
      handler: async (request) => ({
        status: 200,
        body: await intervene(
          app,
          engine(),
          callerOf(request),
          request.params.id,
          toEvent(request as never),
          request.requestId,
        ),
      }),
    });
  const comment = z.object({ comment: z.string().max(5_000).optional() }).default({});
  const empty = z.object({}).default({});
  return [
    defineRoute({
      method: 'GET',
      path: '/v1/executions/{id}',
      operationId: 'getExecution',
      summary: 'An execution: status, every step, what is active',
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: { params: z.object({ id }) },
      responses: { 200: { description: 'The execution', schema: executionSchema }, ...authErrors, 404: refused[404] },
      handler: async (request) => {
        const execution = await getExecution(app, callerOf(request), request.params.id);
        const [waiting, outcome] = await Promise.all([waitingStatus(execution), executionOutcome(app, execution.id)]);
        return { status: 200, body: { ...execution, ...waiting, ...outcome } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/v1/executions/{id}/events',
      operationId: 'listExecutionEvents',
      summary: 'The full history, oldest first, paginated (after = the last seq you have)',
      tags: ['executions'],
      access: { kind: 'user', scope: 'read' },
      request: {
        params: z.object({ id }),
        query: z.object({
          after: z.coerce.number({ error: 'expected a sequence number' }).int().min(0).max(maxInt32).default(0),
          limit,
        }),
      },
      responses: {
        200: {
          description: 'History entries',
          schema: z.object({ events: z.array(historySchema), next: z.number().int().nullable() }),
        },
        ...authErrors,
        404: refused[404],
      },
      handler: async (request) => ({
        status: 200,
        body: await executionHistory(app, callerOf(request), request.params.id, {
          after: request.query.after,
          limit: request.query.limit,
        }),
      }),
    }),
    intervention(
      '/v1/executions/{id}/events',
      'sendExecutionEvent',
      'Send an event; wait steps waiting for a matching one go on',
      z.object({ name: z.string().min(1).max(200), payload: z.unknown().optional() }),
      (r) => ({ type: 'event.received', name: r.body.name, payload: r.body.payload ?? null }),
      false,
    ),
    intervention(
      '/v1/executions/{id}/pause',
      'pauseExecution',
      'Pause: running steps finish, nothing new starts',
      empty,
      () => ({ type: 'execution.paused' }),
      false,
    ),
    intervention(
      '/v1/executions/{id}/resume',
      'resumeExecution',
      'Resume a paused execution',
      empty,
      () => ({ type: 'execution.resumed' }),
      false,
    ),
    intervention(
      '/v1/executions/{id}/cancel',
      'cancelExecution',
      'Cancel: running steps are cancelled in their sandboxes',
      z.object({ reason: z.string().max(2_000).optional() }).default({}),
      (r) => ({ type: 'execution.cancelled', reason: r.body.reason ?? null }),
      false,
    ),
    intervention(
      '/v1/executions/{id}/move',
      'moveExecution',
      'Run the remaining steps from a newer version of the recipe',
      z.object({ version: z.number().int().positive().max(maxInt32) }),
      (r) => ({ type: 'execution.moved', recipeVersion: r.body.version }),
      false,
    ),
    intervention(
      '/v1/executions/{id}/steps/{stepId}/approve',
      'approveStep',
      'Approve a waiting approval step (one voice per person)',
      comment,
      (r) => ({
        type: 'approval.decided',
        stepId: r.params.stepId ?? '',
        approved: true,
        comment: r.body.comment ?? null,
      }),
    ),
    intervention(
      '/v1/executions/{id}/steps/{stepId}/reject',
      'rejectStep',
      'Reject a waiting approval step',
      comment,
      (r) => ({
        type: 'approval.decided',
        stepId: r.params.stepId ?? '',
        approved: false,
        comment: r.body.comment ?? null,
      }),
    ),
    intervention(
      '/v1/executions/{id}/steps/{stepId}/retry',
      'retryStep',
      'Retry the failed step of a failed execution',
      empty,
      (r) => ({ type: 'step.retried', stepId: r.params.stepId ?? '' }),
    ),
    intervention(
      '/v1/executions/{id}/steps/{stepId}/skip',
      'skipStep',
      'Skip a step (now, or when it is reached) with the given output',
      z.object({ output: z.unknown().optional() }).default({}),
      (r) => ({ type: 'step.skipped', stepId: r.params.stepId ?? '', output: r.body.output ?? null }),
    ),
    intervention(
      '/v1/executions/{id}/steps/{stepId}/input',
      'editStepInput',
      'Replace the input of an agent step that has not started',
      z.object({ input: z.record(z.string(), z.unknown()) }),
      (r) => ({ type: 'step.input_edited', stepId: r.params.stepId ?? '', input: r.body.input }),
    ),
  ];
}
