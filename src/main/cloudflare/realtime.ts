import {
  createDurableObjectRealtime,
  forwardRealtimeUpgrade,
  jsonError,
} from '../../adapters/cloudflare/durable-object-realtime.ts';
import { errorBody } from '../../app/http/errors.ts';
import type { Realtime } from '../../ports/realtime.ts';
import type { WorkerEnv } from './env.ts';
import { unavailableRealtime } from './unavailable-realtime.ts';

/**
 * The Worker's `Realtime`: the dashboards' Durable Objects through the DASHBOARDS binding, or,
 * when a deployment lacks the binding, the explicit `unavailableRealtime` (503 not_configured).
 */
export function workerRealtime(env: WorkerEnv): Realtime {
  return env.DASHBOARDS === undefined ? unavailableRealtime : createDurableObjectRealtime(env.DASHBOARDS);
}

/**
 * A `/v1/realtime` WebSocket upgrade goes to its dashboard's Durable Object (`undefined` for any
 * other request). Without the DASHBOARDS binding it is answered 503, like the REST routes.
 */
export function forwardRealtime(request: Request, env: WorkerEnv): Promise<Response> | undefined {
  if (new URL(request.url).pathname !== '/v1/realtime' || request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
    return undefined;
  if (env.DASHBOARDS === undefined)
    return Promise.resolve(
      jsonError(
        503,
        errorBody(
          'not_configured',
          'Live dashboards are not available: this Worker has no DASHBOARDS Durable Object binding',
        ),
      ),
    );
  return forwardRealtimeUpgrade(env.DASHBOARDS, request);
}
