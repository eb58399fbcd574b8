import { ConflictError, NotFoundError } from '../../domain/errors.ts';
import { parseAccessChange } from '../../domain/realtime/access-change.ts';
import type { RealtimeAccess, RealtimeCredentials } from '../../app/realtime/connect.ts';
import type { LiveConnections } from '../../ports/live-connections.ts';
import type { Logger } from '../../ports/logger.ts';
import { HocuspocusRealtime, type HocuspocusRealtimeOptions } from '../hocuspocus/hocuspocus-realtime.ts';
import { closeCodes } from '../hocuspocus/realtime-limits.ts';
import { stateDocumentName } from '../../app/realtime/document-name.ts';
import { dashboardHeader, documentHeader, realtimePaths } from './dashboard-protocol.ts';

/** What one dashboard's object runs on: the Node adapter's options, with admission per request. */
export interface DashboardRoomOptions extends Omit<
  HocuspocusRealtimeOptions,
  'admit' | 'extensions' | 'onOpened' | 'onClosed'
> {
  /**
   * Admits a connection through the app's `admitRealtime`, over a database context of its own
   * (so a Worker's per-request connection is never shared across requests).
   */
  readonly admit: (credentials: RealtimeCredentials, dashboardId: string) => Promise<RealtimeAccess>;
  /**
   * How often open connections are admitted again (BATON_REALTIME_RECHECK_SECONDS): the safety net
   * for an access change whose notice did not arrive (see `connections`).
   */
  readonly recheckMs?: number;
  /**
   * The live-connection registry: the object records who is connected, so the Worker that commits
   * an access change can find this object and post the change to it (`realtimePaths.access`).
   */
  readonly connections?: LiveConnections;
}

/** The server side of a `WebSocketPair` (the part used here). */
interface WorkerSocket {
  readyState: number;
  binaryType: string;
  accept(): void;
  send(data: ArrayBuffer | ArrayBufferView | string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'message', listener: (event: { data: ArrayBuffer | string }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

/** The Workers runtime's `WebSocketPair` (declared here: the project has no Workers types). */
type WebSocketPairConstructor = new () => { 0: WorkerSocket; 1: WorkerSocket };

/**
 * One dashboard, live, inside its Durable Object: the Node adapter (`HocuspocusRealtime`, the same
 * hooks: admission, read-only viewers, the durable log, loading from Postgres) serving WebSockets of
 * a `WebSocketPair`, plus the internal endpoints behind the Worker's `Realtime` port.
 *
 * Nothing is kept in Durable Object storage: Postgres is the truth, so an object that starts
 * empty (new machine, lost storage) loads the document from Postgres on first use.
 */
export class DashboardRoom {
  readonly #realtime: HocuspocusRealtime;
  readonly #logger: Logger;
  readonly #recheckMs: number;
  readonly #connections: LiveConnections | undefined;
  /** The periodic re-check, running while sockets are open (a pending timer keeps an object alive). */
  #recheck: ReturnType<typeof setInterval> | undefined;
  #sockets = 0;
  /** Which dashboard this object is: set by the first request (the Worker names it in a header). */
  #dashboardId: string | undefined;
  /** The registry's rows of an earlier life of this object, being deleted; records wait for it. */
  #reset: Promise<void> = Promise.resolve();
  /** Each open connection's registry insert, so its delete never overtakes it. */
  readonly #recorded = new Map<string, Promise<void>>();

  constructor(options: DashboardRoomOptions) {
    this.#logger = options.logger;
    this.#recheckMs = options.recheckMs ?? 60_000;
    this.#connections = options.connections;
    this.#realtime = new HocuspocusRealtime({
      ...options,
      onOpened: ({ dashboardId, connectionId, access }) => {
        const connections = this.#connections;
        if (connections === undefined) return;
        const record = {
          dashboardId,
          connectionId,
          userId: access.principal.userId,
          tokenId: access.principal.tokenId ?? null,
          sessionId: access.sessionId ?? null,
        };
        this.#recorded.set(
          connectionId,
          this.#reset.then(() => connections.opened(record)).catch((error: unknown) => this.#registryFailed(error)),
        );
      },
      onClosed: ({ dashboardId, connectionId }) => {
        const connections = this.#connections;
        if (connections === undefined) return;
        const recorded = this.#recorded.get(connectionId) ?? Promise.resolve();
        this.#recorded.delete(connectionId);
        void recorded
          .then(() => connections.closed(dashboardId, connectionId))
          .catch((error: unknown) => this.#registryFailed(error));
      },
      // One object is one dashboard and its two documents (`<id>` and the read-only `<id>/state`):
      // a client that asks this socket for any other document is refused, or two objects could hold
      // (and compact) the same document.
      admit: (credentials, documentName) => {
        if (!this.#serves(documentName)) return Promise.reject(new NotFoundError('Dashboard'));
        return options.admit(credentials, documentName);
      },
    });
  }

  /** Handles a request the Worker forwarded: a WebSocket upgrade or an internal port call. */
  async fetch(request: Request): Promise<Response> {
    const dashboardId = request.headers.get(dashboardHeader);
    if (dashboardId === null || dashboardId === '') return new Response('no dashboard named', { status: 400 });
    if (this.#dashboardId !== undefined && this.#dashboardId !== dashboardId)
      return new Response('this object is another dashboard', { status: 409 });
    if (this.#dashboardId === undefined) {
      this.#dashboardId = dashboardId;
      // Only one object serves a dashboard: rows recorded before this one started are stale.
      if (this.#connections !== undefined)
        this.#reset = this.#connections.reset(dashboardId).catch((error: unknown) => this.#registryFailed(error));
    }
    const path = new URL(request.url).pathname;
    const documentName = request.headers.get(documentHeader) ?? dashboardId;
    if (!this.#serves(documentName))
      return new Response('this object serves only its dashboard and its state document', { status: 400 });
    try {
      if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') return this.#accept(request);
      if (path === realtimePaths.state && request.method === 'GET') {
        return new Response(new Uint8Array(await this.#realtime.state(documentName)), {
          headers: { 'content-type': 'application/octet-stream' },
        });
      }
      if (path === realtimePaths.update && request.method === 'POST') {
        await this.#realtime.applyUpdate(documentName, new Uint8Array(await request.arrayBuffer()));
        return new Response(null, { status: 204 });
      }
      if (path === realtimePaths.presence && request.method === 'GET')
        return Response.json(await this.#realtime.presence(dashboardId));
      if (path === realtimePaths.access && request.method === 'POST') {
        const change = parseAccessChange(await request.json().catch(() => undefined));
        if (change === undefined) return new Response('not an access change', { status: 400 });
        await this.#realtime.revalidate(change);
        return new Response(null, { status: 204 });
      }
      return new Response('not found', { status: 404 });
    } catch (error) {
      // A write the document cannot take (over its size limit): the Worker turns it back into the same error.
      if (error instanceof ConflictError) return new Response(error.message, { status: 409 });
      this.#logger.error({ err: error, dashboardId, path }, 'dashboard object request failed');
      return new Response('the dashboard could not be served', { status: 500 });
    }
  }

  /** Whether `documentName` is one of this object's two documents: its dashboard's, or that one's state document. */
  #serves(documentName: string): boolean {
    const dashboardId = this.#dashboardId;
    return (
      dashboardId !== undefined && (documentName === dashboardId || documentName === stateDocumentName(dashboardId))
    );
  }

  #registryFailed(error: unknown): void {
    // Without its row a connection is found by the interval re-check only, not at once.
    this.#logger.warn({ err: error, dashboardId: this.#dashboardId }, 'could not update the live-connection registry');
  }

  /** Accepts a WebSocket and bridges it to Hocuspocus: its messages and its close. */
  #accept(request: Request): Response {
    // The object lives while sockets are open (no hibernation), so a plain interval serves; a
    // connection whose access is gone is closed with 4403, as on Node. It stops with the last
    // socket: from compatibility date 2026-10-01 a pending timer would keep an idle object (and its
    // duration charge) alive for ever.
    this.#sockets += 1;
    this.#recheck ??= setInterval(() => void this.#realtime.revalidate('all'), this.#recheckMs);
    const Pair = (globalThis as unknown as { WebSocketPair: WebSocketPairConstructor }).WebSocketPair;
    const pair = new Pair();
    const client = pair[0];
    const server = pair[1];
    server.accept();
    // Hocuspocus reads binary frames as bytes, never as Blobs.
    server.binaryType = 'arraybuffer';
    const connection = this.#realtime.handleConnection(server, request);
    const { messageBytes } = this.#realtime.limits;
    server.addEventListener('message', (event) => {
      try {
        if (typeof event.data === 'string') throw new Error('text frame');
        // workerd has no per-socket payload limit to set (Node's `ws` has maxPayload): check here.
        if (event.data.byteLength > messageBytes) {
          this.#logger.info(
            { bytes: event.data.byteLength, limit: messageBytes },
            'closing a realtime connection that sent a message over the limit',
          );
          server.close(closeCodes.messageTooBig, 'message too big');
          return;
        }
        connection.handleMessage(new Uint8Array(event.data));
      } catch (error) {
        // A message Hocuspocus cannot handle closes that socket (1007), never the object.
        this.#logger.info({ err: error }, 'closing a realtime connection that sent a malformed message');
        server.close(1007, 'malformed message');
      }
    });
    let open = true;
    const closed = () => {
      if (!open) return;
      open = false;
      this.#sockets -= 1;
      if (this.#sockets === 0 && this.#recheck !== undefined) {
        clearInterval(this.#recheck);
        this.#recheck = undefined;
      }
    };
    server.addEventListener('close', (event) => {
      closed();
      connection.handleClose({ code: event.code, reason: event.reason });
    });
    server.addEventListener('error', (event) => {
      closed();
      this.#logger.info({ err: event }, 'realtime socket error');
    });
    return new Response(null, { status: 101, webSocket: client } as ResponseInit);
  }
}

/** The Durable Object state as the class uses it (nothing: Postgres is the truth). */
export type DurableObjectStateLike = object;

/** A Durable Object class over `Env`, as workerd constructs it. */
export type DashboardObjectClass<Env> = new (
  state: DurableObjectStateLike,
  env: Env,
) => { fetch(request: Request): Promise<Response> };

/**
 * Makes the Durable Object class (one object per dashboard, `idFromName(dashboardId)`). `compose`
 * turns the object's `env` into its room's options (the composition root decides what admits and
 * where documents are stored); it runs once per object, when the first request arrives.
 */
export function dashboardObjectClass<Env>(compose: (env: Env) => DashboardRoomOptions): DashboardObjectClass<Env> {
  return class DashboardObject {
    readonly #env: Env;
    #room: DashboardRoom | undefined;

    constructor(_state: DurableObjectStateLike, env: Env) {
      this.#env = env;
    }

    /** Every request the Worker forwards to this dashboard. */
    fetch(request: Request): Promise<Response> {
      this.#room ??= new DashboardRoom(compose(this.#env));
      return this.#room.fetch(request);
    }
  };
}
