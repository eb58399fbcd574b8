import { DomainError } from '../../../domain/errors.ts';
import type { ReadinessProbe } from '../../../ports/readiness.ts';
import type { AppContext } from '../../context.ts';
import { buildOpenApiDocument } from '../openapi.ts';
import type { AnyRoute } from '../route.ts';
import { authRoutes } from './auth.ts';
import { agentProfileRoutes } from './agent-profiles.ts';
import type { Engine } from '../../orchestrator/engine.ts';
import { dashboardRoutes } from './dashboards.ts';
import { deviceRoutes } from './device.ts';
import { executionRoutes } from './executions.ts';
import { executionArtifactRoutes } from './execution-artifacts.ts';
import { executionSearchRoutes } from './execution-search.ts';
import { recipeRoutes } from './recipes.ts';
import { sessionRoutes, type SessionRouteDeps } from './sessions.ts';
import { scheduleRoutes } from './schedules.ts';
import { templateRoutes } from './templates.ts';
import type { ScheduleDeps } from '../../schedules/schedule-deps.ts';
import { triggerRoutes } from './triggers.ts';
import type { TriggerDeps } from '../../triggers/trigger-deps.ts';
import { integrationRoutes } from './integrations.ts';
import type { IntegrationDeps } from '../../integrations/integration-deps.ts';
import { itemRoutes } from './items.ts';
import { systemRoutes } from './system.ts';
import { tokenRoutes } from './tokens.ts';
import { meSessionRoutes } from './me-sessions.ts';
import { inboxRoutes } from './inbox.ts';
import { workspaceRoutes } from './workspaces.ts';
import { webhookRoutes } from './webhooks.ts';

/** Everything the route table's handlers need; each runtime's composition root provides it. */
export interface RouteTableDeps {
  readonly version: string;
  readonly probes: readonly ReadinessProbe[];
  readonly app: AppContext;
  /** The orchestrator's engine; absent where only the API's shape is needed (OpenAPI, docs). */
  readonly orchestrator?: Engine;
  /** Sessions, terminals and sandbox callbacks; absent where only the API's shape is needed. */
  readonly sessions?: SessionRouteDeps;
  /** Schedules (their timers and the orchestrator); absent where only the API's shape is needed. */
  readonly schedules?: ScheduleDeps;
  /** Event triggers and their inbound webhooks; absent where only the API's shape is needed. */
  readonly triggers?: TriggerDeps;
  /** GitHub and Google Drive connections; absent where only the API's shape is needed. */
  readonly integrations?: IntegrationDeps;
}

/**
 * A part of the API this runtime does not run (yet): the caller gets a 503 naming it, not a 500
 * (the Worker, for instance, runs before every part is wired there).
 */
const notHere = (what: string) => new DomainError('not_configured', what);

/**
 * The whole HTTP API as one runtime-neutral table. Both runtimes mount exactly this table, so
 * they serve the same routes and the same OpenAPI document.
 */
export function buildRouteTable(deps: RouteTableDeps): readonly AnyRoute[] {
  let document: Record<string, unknown> | undefined;
  const engine = (): Engine => {
    if (deps.orchestrator === undefined) throw notHere('The orchestrator does not run in this process');
    return deps.orchestrator;
  };
  const sessions = (): SessionRouteDeps => {
    if (deps.sessions === undefined) throw notHere('Sessions are not managed in this process');
    return deps.sessions;
  };
  const schedules = (): ScheduleDeps => {
    if (deps.schedules === undefined) throw notHere('Schedules are not managed in this process');
    return deps.schedules;
  };
  const triggers = (): TriggerDeps => {
    if (deps.triggers === undefined) throw notHere('Triggers are not managed in this process');
    return deps.triggers;
  };
  const integrations = (): IntegrationDeps => {
    if (deps.integrations === undefined) throw notHere('Integrations are not managed in this process');
    return deps.integrations;
  };
  const routes: AnyRoute[] = [
    ...authRoutes(deps.app),
    ...tokenRoutes(deps.app),
    ...deviceRoutes(deps.app),
    ...meSessionRoutes(deps.app),
    ...inboxRoutes(deps.app),
    ...workspaceRoutes(deps.app),
    ...dashboardRoutes(deps.app),
    ...itemRoutes(deps.app),
    ...recipeRoutes(deps.app, engine),
    ...templateRoutes(deps.app),
    ...agentProfileRoutes(deps.app),
    ...executionRoutes(deps.app, engine, () => deps.sessions?.sessionStore),
    ...executionArtifactRoutes(deps.app),
    ...executionSearchRoutes(deps.app, engine),
    ...sessionRoutes(deps.app, sessions),
    ...scheduleRoutes(schedules),
    ...triggerRoutes(triggers),
    ...integrationRoutes(integrations),
    ...webhookRoutes(deps.app),
    ...systemRoutes({
      probes: deps.probes,
      openApiDocument: () =>
        (document ??= buildOpenApiDocument(routes, {
          title: 'Baton',
          version: deps.version,
          description: 'The control plane of a terminal-first, multiplayer agentic coding platform.',
        })),
    }),
  ];
  assertUniqueRoutes(routes);
  return Object.freeze(routes);
}

function assertUniqueRoutes(routes: readonly AnyRoute[]): void {
  const seen = new Set<string>();
  for (const route of routes) {
    for (const key of [`${route.method} ${route.path}`, route.operationId]) {
      if (seen.has(key)) throw new Error(`Route table has a duplicate: ${key}`);
      seen.add(key);
    }
  }
}
