import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { accessChangeMessage } from '../../client/live.ts';
import { stateDocumentName } from '../../src/app/realtime/document-name.ts';

/** A real browser-side client: @hocuspocus/provider over a WebSocket, with what happened to it. */
export interface RealtimeClient {
  readonly provider: HocuspocusProvider;
  readonly doc: Y.Doc;
  /** Set when the server refused the connection (the reason it gave). */
  readonly refused: () => string | undefined;
  /** True once the server admitted the connection. */
  readonly authenticated: () => boolean;
  /** The scope the server granted: 'read-write' or 'readonly' (at admission, or as it said since). */
  readonly scope: () => string | undefined;
  /** Every close of its WebSocket so far (code and reason), oldest first. */
  readonly closes: () => ReadonlyArray<{ code: number; reason: string }>;
  destroy(): void;
}

/**
 * Connects to `/v1/realtime?dashboard=<id>` as a browser would (the URL both runtimes serve: the
 * Worker picks the dashboard's object by it, Node ignores it). `token` is an API token (the
 * provider's token); `headers` are sent with the handshake (a session cookie, an Origin);
 * `state` opens the dashboard's read-only state document (`<id>/state`, where the server mirrors
 * executions, approvals, sessions, progress and artifacts) instead of the dashboard document;
 * `documentName` asks for another document than the URL names (which must be refused).
 */
export function connectClient(baseUrl: string, dashboardId: string, options: ClientOptions = {}): RealtimeClient {
  return connectOn(openSocket(baseUrl, dashboardId, options), dashboardId, options);
}

/**
 * A browser's usual pair: the dashboard document and its state document, two providers over one
 * WebSocket (as a console opens them; the Worker's object serves both on that socket). The state
 * document's provider shares no presence (`awareness: null`): the dashboard document's carries it
 * and keeps the shared socket alive, and idle traffic is not doubled.
 */
export function connectDashboard(
  baseUrl: string,
  dashboardId: string,
  options: Omit<ClientOptions, 'state' | 'documentName'> = {},
): { dashboard: RealtimeClient; state: RealtimeClient; destroy(): void } {
  const socket = openSocket(baseUrl, dashboardId, options);
  const dashboard = connectOn(socket, dashboardId, options);
  const state = connectOn(socket, dashboardId, { ...options, state: true }, { awareness: null });
  return {
    dashboard,
    state,
    destroy: () => {
      dashboard.destroy();
      state.destroy();
    },
  };
}

/** How a test client connects. */
export interface ClientOptions {
  token?: string;
  headers?: Record<string, string>;
  reconnectForever?: boolean;
  documentName?: string;
  state?: boolean;
}

interface Socket {
  readonly websocketProvider: HocuspocusProviderWebsocket;
  readonly closes: Array<{ code: number; reason: string }>;
}

function openSocket(baseUrl: string, dashboardId: string, options: ClientOptions): Socket {
  const headers = options.headers ?? {};
  // The provider opens sockets with `new WebSocketPolyfill(url)`; this one adds handshake headers.
  class HeaderedWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
      // Closing a socket still connecting (a test that ends while a client reconnects) emits an
      // error after the provider let go of it: it must not become an uncaught exception.
      this.on('error', () => undefined);
    }
  }
  const closes: Array<{ code: number; reason: string }> = [];
  const websocketProvider = new HocuspocusProviderWebsocket({
    url: `${baseUrl.replace(/^http/, 'ws')}/v1/realtime?dashboard=${encodeURIComponent(dashboardId)}`,
    WebSocketPolyfill: HeaderedWebSocket,
    maxAttempts: options.reconnectForever === true ? 0 : 3,
    delay: 100,
    minDelay: 50,
    maxDelay: 500,
  });
  websocketProvider.on('close', ({ event }: { event: { code: number; reason: string } }) =>
    closes.push({ code: event.code, reason: event.reason }),
  );
  return { websocketProvider, closes };
}

function connectOn(
  { websocketProvider, closes }: Socket,
  dashboardId: string,
  options: ClientOptions,
  extra: { awareness?: null } = {},
): RealtimeClient {
  const doc = new Y.Doc();
  let refusal: string | undefined;
  let authenticated = false;
  let scope: string | undefined;
  const provider = new HocuspocusProvider({
    websocketProvider,
    name: options.documentName ?? (options.state === true ? stateDocumentName(dashboardId) : dashboardId),
    document: doc,
    ...extra,
    token: options.token ?? '',
    onAuthenticationFailed: ({ reason }) => {
      refusal = reason;
    },
    onAuthenticated: ({ scope: granted }) => {
      authenticated = true;
      scope = granted;
    },
    // The server tells an open connection its new scope when access changes (client/live.ts reads it the same way).
    onStateless: ({ payload }) => {
      scope = accessChangeMessage(payload) ?? scope;
    },
  });
  provider.attach();
  return {
    provider,
    doc,
    refused: () => refusal,
    authenticated: () => authenticated,
    scope: () => scope,
    closes: () => closes,
    destroy: () => {
      provider.destroy();
      websocketProvider.destroy();
    },
  };
}
