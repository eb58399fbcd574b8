import { z } from 'zod';
import type { ReadinessProbe } from '../../../ports/readiness.ts';
import { checkReadiness } from '../../system/readiness.ts';
import { errorBody } from '../errors.ts';
import { defineRoute, type AnyRoute } from '../route.ts';

const probeResultSchema = z.union([
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);

/** Dependencies of the system routes. */
export interface SystemRouteDeps {
  readonly probes: readonly ReadinessProbe[];
  /** The OpenAPI document of the whole table (built once, after the table exists). */
  readonly openApiDocument: () => Record<string, unknown>;
}

/** Health, readiness and the OpenAPI document: public, for load balancers and tools. */
export function systemRoutes(deps: SystemRouteDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/healthz',
      operationId: 'getHealth',
      summary: 'Liveness: the process is up and serving HTTP',
      tags: ['system'],
      access: { kind: 'public' },
      responses: { 200: { description: 'Alive', schema: z.object({ status: z.literal('ok') }) } },
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'GET',
      path: '/readyz',
      operationId: 'getReadiness',
      summary: 'Readiness: the database answers, migrations are applied and the job queue runs',
      tags: ['system'],
      access: { kind: 'public' },
      responses: {
        200: {
          description: 'Ready',
          schema: z.object({ status: z.literal('ready'), checks: z.record(z.string(), probeResultSchema) }),
        },
        503: { description: 'Not ready; `details.checks` says which dependency failed and why' },
      },
      handler: async () => {
        const readiness = await checkReadiness(deps.probes);
        if (readiness.ready) return { status: 200, body: { status: 'ready', checks: readiness.checks } };
        const reasons = Object.entries(readiness.checks)
          .flatMap(([name, r]) => (r.ok ? [] : [`${name}: ${r.reason}`]))
          .join('; ');
        return { status: 503, body: errorBody('not_ready', `Not ready: ${reasons}`, { checks: readiness.checks }) };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      operationId: 'getOpenApiDocument',
      summary: 'This API as an OpenAPI 3.1 document, generated from the route table',
      tags: ['system'],
      access: { kind: 'public' },
      responses: { 200: { description: 'The OpenAPI document', schema: z.record(z.string(), z.unknown()) } },
      handler: async () => ({ status: 200, body: deps.openApiDocument() }),
    }),
  ];
}
