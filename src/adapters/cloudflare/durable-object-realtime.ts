import { errorBody } from '../../app/http/errors.ts';
import { securityHeaders } from '../../app/http/security-headers.ts';
import { ConflictError } from '../../domain/errors.ts';
import type { Realtime, Viewer } from '../../ports/realtime.ts';
import { dashboardOf } from '../../app/realtime/document-name.ts';
import { dashboardHeader, documentHeader, realtimePaths } from './dashboard-protocol.ts';

/** A Durable Object stub: what `namespace.get(id)` returns (the part used here). */
export interface DurableObjectStubLike {
  /** Sends a request to the object (the URL's host is ignored; its path and method matter). */
  fetch(input: string | Request, init?: RequestInit): Promise<Response>;
}

/** A Durable Object namespace binding (`env.DASHBOARDS`), the part used here. */
export interface DurableObjectNamespaceLike {
  /** The id of the object named `name` (the same name always gives the same object). */
  idFromName(name: string): unknown;
  /** The stub of the object with that id. */
  get(id: never): DurableObjectStubLike;
}

/** The stub of `dashboardId`'s object: one object per dashboard, named by the dashboard id. */
export function dashboardStub(namespace: DurableObjectNamespaceLike, dashboardId: string): DurableObjectStubLike {
  return namespace.get(namespace.idFromName(dashboardId) as never);
}

/**
 * Forwards a `/v1/realtime` WebSocket upgrade to the dashboard's object. The dashboard is the
 * `dashboard` query parameter: a Worker must pick the object before the first message (where the
 * Hocuspocus protocol names the document), and the object refuses any other document on it.
 */
export function forwardRealtimeUpgrade(namespace: DurableObjectNamespaceLike, request: Request): Promise<Response> {
  const dashboardId = new URL(request.url).searchParams.get('dashboard');
  if (dashboardId === null || !/^[0-9a-f-]{36}$/i.test(dashboardId)) {
    return Promise.resolve(
      jsonError(
        400,
        errorBody('invalid_input', 'dashboard: connect to /v1/realtime?dashboard=<dashboard id> (a dashboard id)', {
          issues: [{ path: 'dashboard', message: 'a dashboard id is required' }],
        }),
      ),
    );
  }
  const forwarded = new Request(request);
  forwarded.headers.set(dashboardHeader, dashboardId);
  return dashboardStub(namespace, dashboardId).fetch(forwarded);
}

/** A JSON error answer, with the body and the security headers every other route has. */
export function jsonError(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...securityHeaders, 'content-type': 'application/json; charset=utf-8' },
  });
}

/**
 * The `Realtime` port in the Worker: each call goes to the dashboard's Durable Object (which
 * loads the document from Postgres on first use, like the Node server). Both documents of a
 * dashboard (`<id>` and its state document `<id>/state`) are served by the one object named by the
 * dashboard id; the call names the document in a header. A failure of the object is an error (a
 * REST write is never acknowledged unless the object made it durable).
 */
export function createDurableObjectRealtime(namespace: DurableObjectNamespaceLike): Realtime {
  const call = async (documentName: string, path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const dashboardId = dashboardOf(documentName);
    headers.set(dashboardHeader, dashboardId);
    headers.set(documentHeader, documentName);
    const response = await dashboardStub(namespace, dashboardId).fetch(`https://dashboard${path}`, {
      ...init,
      headers,
    });
    if (response.status === 409) throw new ConflictError(await response.text());
    if (!response.ok)
      throw new Error(
        `The dashboard's Durable Object answered ${response.status} to ${path}: ${await response.text()}`,
      );
    return response;
  };
  return {
    async state(documentName) {
      return new Uint8Array(await (await call(documentName, realtimePaths.state)).arrayBuffer());
    },
    async applyUpdate(documentName, update) {
      await call(documentName, realtimePaths.update, {
        method: 'POST',
        body: new Uint8Array(update),
        headers: { 'content-type': 'application/octet-stream' },
      });
    },
    async presence(dashboardId) {
      return (await (await call(dashboardId, realtimePaths.presence)).json()) as Viewer[];
    },
  };
}
