import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import * as Y from 'yjs';

/**
 * Live dashboards for the console (and later the CLI): ONE `HocuspocusProviderWebsocket` per page,
 * the dashboard document (`<id>`, with presence) and its read-only state document (`<id>/state`,
 * `awareness: null`: presence is the dashboard document's, and one awareness per socket keeps it
 * open) over it. What the server's close codes mean is in docs/dashboard-document.md (Limits).
 */

/** The name of a dashboard's read-only state document (the server's `stateDocumentName`). */
export function stateDocumentName(dashboardId: string): string {
  return `${dashboardId}/state`;
}

/**
 * The realtime endpoint for a dashboard, from the page's origin (`http(s)://host`). The query names
 * the dashboard so the Worker can pick its Durable Object before the first message; Node ignores it.
 */
export function realtimeUrl(origin: string, dashboardId: string): string {
  return `${origin.replace(/^http/, 'ws')}/v1/realtime?dashboard=${encodeURIComponent(dashboardId)}`;
}

/**
 * Where the connection stands, as a person should be told:
 * - `connecting`: not admitted yet (or reconnecting);
 * - `read-write` / `readonly`: admitted, with the scope the server granted;
 * - `refused`: the server refused admission (not a member, unknown dashboard, cross-site);
 * - `revoked`: access went while connected (close reason `access revoked`, 4403);
 * - `too-large`: an edit or message went over the server's limits (4413, 1007, 1009): reconnecting
 *   would send the same edit again, so the providers are stopped.
 */
export type LiveAccess = 'connecting' | 'read-write' | 'readonly' | 'refused' | 'revoked' | 'too-large';

/** A snapshot of a live dashboard's connection (a new object whenever something changed). */
export interface LiveStatus {
  readonly access: LiveAccess;
  /** The socket is open. */
  readonly connected: boolean;
  /** Both documents finished their first sync since the socket (re)opened. */
  readonly synced: boolean;
  /** Edits of the dashboard document the server has not acknowledged as durable (or refused). */
  readonly unsyncedChanges: number;
  /** Why the server refused or closed, when it said. */
  readonly reason?: string;
}

/** A dashboard's state document alone, for pages that follow server state without being present. */
export interface LiveState {
  readonly dashboardId: string;
  readonly socket: HocuspocusProviderWebsocket;
  /** The state document (`executions`, `approvals`, `sessions`, `progress`, `artifacts`): read-only. */
  readonly state: HocuspocusProvider;
  /** The current status (same object until something changes: fits React's `useSyncExternalStore`). */
  status(): LiveStatus;
  /** Calls `listener` on every status change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
  /** Closes the documents and the socket. */
  destroy(): void;
}

/** A dashboard's two documents over one socket. */
export interface LiveDashboard extends LiveState {
  /** The dashboard document (`items`, `layout`, `decisions`), with presence. */
  readonly dashboard: HocuspocusProvider;
}

/** How to open a live dashboard. */
export interface LiveOptions {
  /** `http(s)://host` of the Baton server (a page passes `location.origin`). */
  readonly origin: string;
  readonly dashboardId: string;
  /** An API token (the CLI); a browser leaves it out and the session cookie authenticates. */
  readonly token?: string;
  /** A WebSocket class for runtimes without a global one (Node's `ws`). */
  readonly WebSocketPolyfill?: unknown;
}

const stopCodes = new Set([4413, 1007, 1009]);

/**
 * The scope in a stateless message the server sends when a connection's access changes while open
 * (`{"access":"readonly"}` when an editor is made a viewer or the dashboard is archived,
 * `{"access":"read-write"}` when write access comes back); undefined for anything else.
 */
export function accessChangeMessage(payload: string): 'readonly' | 'read-write' | undefined {
  try {
    const access = (JSON.parse(payload) as { access?: unknown } | null)?.access;
    return access === 'readonly' || access === 'read-write' ? access : undefined;
  } catch {
    return undefined;
  }
}

/** Opens the dashboard document and its state document over one socket, retrying for ever. */
export function openLiveDashboard(options: LiveOptions): LiveDashboard {
  return open(options, true) as LiveDashboard;
}

/**
 * Opens only the dashboard's state document (read-only, no presence): an execution page follows
 * its execution live without showing its reader as someone on the dashboard, or keeping a terminal's
 * sandbox awake as someone looking. Same status and retry rules as `openLiveDashboard`.
 */
export function openLiveState(options: LiveOptions): LiveState {
  return open(options, false);
}

function open(options: LiveOptions, withDashboard: boolean): LiveState & { readonly dashboard?: HocuspocusProvider } {
  const listeners = new Set<() => void>();
  let status: LiveStatus = { access: 'connecting', connected: false, synced: false, unsyncedChanges: 0 };
  const update = (change: Partial<LiveStatus>) => {
    const next = { ...status, ...change };
    if ((Object.keys(next) as Array<keyof LiveStatus>).every((key) => next[key] === status[key])) return;
    status = next;
    for (const listener of [...listeners]) listener();
  };
  // Back within about 5 s of an outage (maxDelay), never giving up (maxAttempts 0).
  const socket = new HocuspocusProviderWebsocket({
    url: realtimeUrl(options.origin, options.dashboardId),
    maxDelay: 5_000,
    maxAttempts: 0,
    ...(options.WebSocketPolyfill === undefined ? {} : { WebSocketPolyfill: options.WebSocketPolyfill }),
  });
  const stop = (access: LiveAccess, reason: string) => {
    update({ access, reason, connected: false });
    // Not from inside the provider's own message or close handling.
    setTimeout(() => {
      dashboard?.destroy();
      state.destroy();
      socket.destroy();
    }, 0);
  };
  const synced = () => (dashboard?.isSynced ?? true) && state.isSynced;
  const token = options.token ?? '';
  const dashboard = !withDashboard
    ? undefined
    : new HocuspocusProvider({
        websocketProvider: socket,
        name: options.dashboardId,
        document: new Y.Doc(),
        token,
        onAuthenticated: ({ scope }) => update({ access: scope, reason: undefined }),
        // Demoted or promoted while connected: the page follows without reconnecting.
        onStateless: ({ payload }) => {
          const access = accessChangeMessage(payload);
          if (access !== undefined && (status.access === 'read-write' || status.access === 'readonly'))
            update({ access });
        },
        onAuthenticationFailed: ({ reason }) => stop('refused', reason),
        onSynced: () => update({ synced: synced() }),
        onUnsyncedChanges: ({ number }) => update({ unsyncedChanges: number }),
        onClose: ({ event }) => closed(event),
      });
  const state = new HocuspocusProvider({
    websocketProvider: socket,
    name: stateDocumentName(options.dashboardId),
    document: new Y.Doc(),
    awareness: null,
    token,
    // Without the dashboard document, the state document's admission is the connection's; and with
    // no awareness on the socket the client would send nothing, so the server would drop it as idle
    // after its timeout (60 s): a sync step every 20 s keeps it (and fetches anything missed).
    ...(withDashboard
      ? {}
      : { onAuthenticated: () => update({ access: 'readonly', reason: undefined }), forceSyncInterval: 20_000 }),
    onAuthenticationFailed: ({ reason }) => stop('refused', reason),
    onSynced: () => update({ synced: synced() }),
    onClose: ({ event }) => closed(event),
  });
  // Hocuspocus closes a revoked connection's documents, not the socket: the provider's close event
  // carries code 1000 and the reason; a limit closes the socket with its own code.
  const closed = (event: { code: number; reason: string }) => {
    if (status.access === 'refused' || status.access === 'revoked' || status.access === 'too-large') return;
    if (event.code === 4403 || event.reason === 'access revoked') stop('revoked', 'access revoked');
    else if (stopCodes.has(event.code)) stop('too-large', event.reason);
  };
  socket.on('status', ({ status: now }: { status: string }) => {
    if (status.access === 'refused' || status.access === 'revoked' || status.access === 'too-large') return;
    if (now === 'connected') update({ connected: true });
    else
      update({
        connected: false,
        synced: false,
        access: status.access === 'readonly' || status.access === 'read-write' ? status.access : 'connecting',
      });
  });
  // The server replaces each presence state's `user` with who the connection authenticated as
  // ({ id, name, email }), so the colour a client chose travels as `color` beside it; carets
  // (y-codemirror.next) read `user.color`, so it is copied back in before any other listener runs.
  dashboard?.awareness?.on('change', () => {
    for (const presence of dashboard?.awareness?.getStates().values() ?? []) {
      const user = presence.user as Record<string, unknown> | undefined;
      if (user !== undefined && user !== null && typeof presence.color === 'string' && user.color !== presence.color)
        user.color = presence.color;
    }
  });
  dashboard?.attach();
  state.attach();
  return {
    dashboardId: options.dashboardId,
    socket,
    ...(dashboard === undefined ? {} : { dashboard }),
    state,
    status: () => status,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    destroy() {
      listeners.clear();
      dashboard?.destroy();
      state.destroy();
      socket.destroy();
    },
  };
}
