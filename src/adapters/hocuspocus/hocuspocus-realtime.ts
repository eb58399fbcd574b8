import { Hocuspocus, isTransactionOrigin, type Connection, type Document, type Extension } from '@hocuspocus/server';
import * as Y from 'yjs';
import { DomainError } from '../../domain/errors.ts';
import type { RealtimeAccess, RealtimeCredentials } from '../../app/realtime/connect.ts';
import type { DocumentLog } from '../../app/realtime/document-log.ts';
import { DurableAcks } from './durable-acks.ts';
import type { DocumentStore } from '../../ports/document-store.ts';
import type { Logger } from '../../ports/logger.ts';
import type { AccessChange, Realtime, Viewer } from '../../ports/realtime.ts';

/** What each admitted connection carries. */
interface ConnectionContext {
  access: RealtimeAccess;
  readonly credentials: RealtimeCredentials;
  /** This server's id for the admitted connection (what `onOpened` and `onClosed` name). */
  readonly connectionId: string;
}

/** Options of the Node realtime server. */
export interface HocuspocusRealtimeOptions {
  /** Decides who may open a dashboard and whether read-only (the app's `admitRealtime`). */
  readonly admit: (credentials: RealtimeCredentials, dashboardId: string) => Promise<RealtimeAccess>;
  readonly store: DocumentStore;
  readonly log: DocumentLog;
  readonly logger: Logger;
  /** How long after the last change a document is compacted (ms), and at most how long that waits. */
  readonly compactAfterMs: number;
  readonly compactAtMostMs: number;
  /**
   * A connected member wrote their own decision into an approval of the document (`approvals` →
   * key → `decisions` → their user id). Decisions written under someone else's id are ignored.
   */
  readonly onDecision?: (decision: { dashboardId: string; approvalKey: string; access: RealtimeAccess; approved: boolean; comment: string | null }) => void;
  /** A connection was admitted (after `admit`), e.g. to record it in the live-connection registry. */
  readonly onOpened?: (event: { dashboardId: string; connectionId: string; access: RealtimeAccess }) => void;
  /** An admitted connection closed. */
  readonly onClosed?: (event: { dashboardId: string; connectionId: string }) => void;
  /** More Hocuspocus extensions, e.g. Redis for several instances. */
  readonly extensions?: readonly Extension[];
  /**
   * How long a document stays loaded after the server's last write to it when nobody is connected
   * (default 30 s). Without it every server write would load the document from Postgres, then
   * compact and unload it again: executions and agents write to the same dashboards many times a second.
   */
  readonly holdMs?: number;
}

type DirectConnection = Awaited<ReturnType<Hocuspocus['openDirectConnection']>>;

/** A direct connection the server keeps open to a document it writes to. */
interface Held {
  readonly connection: Promise<DirectConnection>;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** The origin of updates applied while loading a document: already durable, so not logged again. */
const loadOrigin = Symbol('baton-load');
/** The context of server writes that record themselves in the log (so the log's listener skips them). */
const serverWrite = { baton: 'server-write' } as const;
/** Holds each client's acknowledgements until its updates are in the durable log. */
const acks = new DurableAcks();

/** The WebSocket close code sent when access is refused or revoked (4000-4999: application codes). */
export const accessRevokedCode = 4403;

/**
 * Dashboards on Node: Hocuspocus with Baton's access checks, durable update log and presence.
 * Every connection is admitted by the app's policy (read-only for viewers); every accepted update
 * goes to the group-committed log; compaction runs on Hocuspocus's debounced store hook.
 */
export class HocuspocusRealtime implements Realtime {
  readonly hocuspocus: Hocuspocus;
  readonly #options: HocuspocusRealtimeOptions;
  readonly #held = new Map<string, Held>();
  #closed = false;

  constructor(options: HocuspocusRealtimeOptions) {
    this.#options = options;
    const { admit, store, log, logger } = options;
    this.hocuspocus = new Hocuspocus({
      name: 'baton',
      quiet: true,
      debounce: options.compactAfterMs,
      maxDebounce: options.compactAtMostMs,
      extensions: [...(options.extensions ?? [])],
      async onAuthenticate({ token, requestHeaders, documentName, connectionConfig }) {
        const credentials: RealtimeCredentials = { token: token ?? '', headers: headerRecord(requestHeaders) };
        try {
          const access = await admit(credentials, documentName);
          connectionConfig.readOnly = access.readOnly;
          return { access, credentials, connectionId: crypto.randomUUID() } satisfies ConnectionContext;
        } catch (error) {
          if (!(error instanceof DomainError)) logger.error({ err: error }, 'realtime admission failed');
          throw error instanceof DomainError ? new Error(error.code) : error;
        }
      },
      async connected({ documentName, context }) {
        const admitted = context as ConnectionContext | undefined;
        if (admitted?.access !== undefined) options.onOpened?.({ dashboardId: documentName, connectionId: admitted.connectionId, access: admitted.access });
      },
      async onDisconnect({ documentName, context }) {
        const admitted = context as ConnectionContext | undefined;
        if (admitted?.access !== undefined) options.onClosed?.({ dashboardId: documentName, connectionId: admitted.connectionId });
      },
      async onLoadDocument({ document, documentName }) {
        const stored = await store.load(documentName);
        document.transact(() => {
          if (stored.snapshot !== null) Y.applyUpdate(document, stored.snapshot);
          for (const row of stored.updates) Y.applyUpdate(document, row.update);
        }, loadOrigin);
        log.adopt(documentName, stored.updates.map((row) => row.seq));
        // Recorded as applied, not in onChange: Hocuspocus acknowledges a client's update right
        // after applying it and runs onChange later, so the acknowledgement can wait for the
        // durable log only if the log has the update by then (fan-out does not wait).
        document.on('update', (update: Uint8Array, origin: unknown) => {
          // Another instance logged what arrives through Redis; server writes record themselves.
          if (isTransactionOrigin(origin) && (origin.source === 'redis' || (origin.source === 'local' && origin.context === serverWrite))) return;
          const durable = log.record(documentName, document, update);
          if (isTransactionOrigin(origin) && origin.source === 'connection') acks.hold(origin.connection, durable);
          // A refused document is reported by the log itself.
          else durable.catch(() => undefined);
        });
      },
      async afterLoadDocument({ document, documentName }) {
        if (options.onDecision !== undefined) watchDecisions(document, documentName, options.onDecision);
      },
      onStoreDocument: async ({ documentName, document }) => {
        // After close, everything was compacted; a late debounce has nothing left to store.
        if (this.#closed) return;
        await log.compact(documentName, document);
      },
      async afterUnloadDocument({ documentName }) {
        log.forget(documentName);
      },
      async beforeHandleAwareness({ states, connection }) {
        // Presence says who someone is from their credentials, not from what their client claims.
        const context = connection?.context as ConnectionContext | undefined;
        if (context === undefined) return;
        for (const state of states.values()) state.user = { id: context.access.principal.userId, name: context.access.user.name, email: context.access.user.email };
      },
    });
  }

  /** Hands an accepted WebSocket to Hocuspocus; the caller forwards its messages and close. */
  handleConnection(socket: Parameters<Hocuspocus['handleConnection']>[0], request: Request) {
    return this.hocuspocus.handleConnection(socket, request);
  }

  async state(dashboardId: string): Promise<Uint8Array> {
    this.#assertOpen();
    const connection = await this.#hold(dashboardId);
    return Y.encodeStateAsUpdate(connection.document as Document);
  }

  async applyUpdate(dashboardId: string, update: Uint8Array): Promise<void> {
    this.#assertOpen();
    const connection = await this.#hold(dashboardId);
    await connection.transact((document) => Y.applyUpdate(document, update));
    await this.#options.log.record(dashboardId, connection.document as Document, update);
  }

  /**
   * The server's own connection to a document, opened on first use and kept while it writes (each
   * use restarts the hold); once idle for `holdMs` it disconnects, and Hocuspocus compacts and
   * unloads the document unless people are connected.
   */
  #hold(dashboardId: string): Promise<DirectConnection> {
    let held = this.#held.get(dashboardId);
    if (held === undefined) {
      const connection = this.hocuspocus.openDirectConnection(dashboardId, serverWrite);
      held = { connection, timer: undefined };
      this.#held.set(dashboardId, held);
      // A document that failed to load is not held: the next write tries again.
      connection.catch(() => this.#held.delete(dashboardId));
    }
    if (held.timer !== undefined) clearTimeout(held.timer);
    const current = held;
    current.timer = setTimeout(() => {
      if (this.#held.get(dashboardId) !== current) return;
      this.#held.delete(dashboardId);
      void current.connection.then((c) => c.disconnect()).catch((error: unknown) => this.#options.logger.warn({ err: error, dashboardId }, 'could not let go of a dashboard'));
    }, this.#options.holdMs ?? 30_000);
    current.timer.unref?.();
    return current.connection;
  }

  async presence(dashboardId: string): Promise<Viewer[]> {
    const document = this.hocuspocus.documents.get(dashboardId);
    if (document === undefined) return [];
    const states = [...document.awareness.getStates().values()] as Array<Record<string, unknown>>;
    const viewers = new Map<string, Viewer>();
    for (const connection of document.getConnections()) {
      const { access } = connection.context as ConnectionContext;
      const userId = access.principal.userId;
      const previous = viewers.get(userId);
      const state = states.find((s) => (s.user as { id?: string } | undefined)?.id === userId) ?? {};
      const { user: _user, ...rest } = state;
      viewers.set(userId, {
        userId,
        name: access.user.name,
        email: access.user.email,
        readOnly: (previous?.readOnly ?? true) && connection.readOnly,
        state: previous !== undefined && Object.keys(rest).length === 0 ? previous.state : rest,
      });
    }
    return [...viewers.values()];
  }

  /** Checks open connections that `change` concerns again: closes refused ones, updates read-only. */
  async revalidate(change: AccessChange | 'all'): Promise<void> {
    const checks: Array<Promise<void>> = [];
    for (const [dashboardId, document] of this.hocuspocus.documents) {
      if (change !== 'all' && change.kind === 'dashboard' && change.dashboardId !== dashboardId) continue;
      for (const connection of document.getConnections()) {
        const context = connection.context as ConnectionContext | undefined;
        if (context?.access === undefined || !concerns(change, context)) continue;
        checks.push(this.#recheck(dashboardId, connection, context));
      }
    }
    await Promise.all(checks);
  }

  async #recheck(dashboardId: string, connection: Connection, context: ConnectionContext): Promise<void> {
    try {
      context.access = await this.#options.admit(context.credentials, dashboardId);
      connection.readOnly = context.access.readOnly;
    } catch (error) {
      if (!(error instanceof DomainError)) {
        this.#options.logger.warn({ err: error, dashboardId }, 'could not re-check a realtime connection; keeping it');
        return;
      }
      connection.close({ code: accessRevokedCode, reason: 'access revoked' });
    }
  }

  /** Writes everything pending and compacts open documents: for a graceful stop. */
  #assertOpen(): void {
    // A write after close would not be stored: refuse it (best-effort writers log and move on).
    if (this.#closed) throw new Error('realtime is stopping');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const document of this.hocuspocus.documents.values()) for (const connection of document.getConnections()) connection.close({ code: 1001, reason: 'server stopping' });
    await this.#options.log.flush();
    for (const [dashboardId, document] of this.hocuspocus.documents) {
      await this.#options.log.compact(dashboardId, document).catch((error: unknown) => this.#options.logger.warn({ err: error, dashboardId }, 'could not compact a document at shutdown; its log stays'));
    }
    // Compacted above: the server's own connections can go (their store hook sees the close and does nothing).
    for (const held of this.#held.values()) {
      clearTimeout(held.timer);
      await held.connection.then((c) => c.disconnect()).catch(() => undefined);
    }
    this.#held.clear();
    // Extensions let go of what they hold (the Redis extension's connections).
    await this.hocuspocus.hooks('onDestroy', { instance: this.hocuspocus });
  }
}

/** Observes approvals in a document and reports decisions people wrote under their own id. */
function watchDecisions(document: Document, dashboardId: string, report: NonNullable<HocuspocusRealtimeOptions['onDecision']>): void {
  document.getMap('approvals').observeDeep((events, transaction) => {
    const origin = transaction.origin;
    if (!isTransactionOrigin(origin) || origin.source !== 'connection') return;
    const access = (origin.connection.context as ConnectionContext | undefined)?.access;
    if (access === undefined) return;
    for (const event of events) {
      // A change inside approvals/<key>/decisions: the path is [<key>, 'decisions'].
      const [approvalKey, field] = event.path;
      if (typeof approvalKey !== 'string' || field !== 'decisions' || !(event.target instanceof Y.Map)) continue;
      for (const [userId, change] of event.changes.keys) {
        if (userId !== access.principal.userId || change.action === 'delete') continue;
        const value = event.target.get(userId) as { approved?: unknown; comment?: unknown } | undefined;
        if (typeof value?.approved !== 'boolean') continue;
        report({ dashboardId, approvalKey, access, approved: value.approved, comment: typeof value.comment === 'string' ? value.comment.slice(0, 5_000) : null });
      }
    }
  });
}

function concerns(change: AccessChange | 'all', context: ConnectionContext): boolean {
  if (change === 'all') return true;
  const { principal, sessionId } = context.access;
  switch (change.kind) {
    case 'user':
      return principal.userId === change.userId;
    case 'token':
      return principal.tokenId === change.tokenId;
    case 'session':
      return sessionId === change.sessionId;
    case 'dashboard':
      return true;
  }
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = value;
  });
  return record;
}

/** The part of a `ws` WebSocket the bridge uses. */
export interface NodeWebSocketLike {
  readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', listener: (data: Uint8Array | ArrayBuffer | Uint8Array[]) => void): unknown;
  on(event: 'close', listener: (code: number, reason: Uint8Array) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * Connects a Node WebSocket to Hocuspocus: forwards its messages and its close. A message
 * Hocuspocus cannot handle closes that socket (1007), never the server.
 */
export function bridgeNodeSocket(realtime: HocuspocusRealtime, socket: NodeWebSocketLike, request: Request, logger: Logger): void {
  const client = realtime.handleConnection(socket, request);
  socket.on('message', (data) => {
    try {
      const bytes = Array.isArray(data) ? concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      client.handleMessage(bytes);
    } catch (error) {
      logger.info({ err: error }, 'closing a realtime connection that sent a malformed message');
      socket.close(1007, 'malformed message');
    }
  });
  socket.on('close', (code, reason) => client.handleClose({ code, reason: new TextDecoder().decode(reason) }));
  socket.on('error', (error) => logger.info({ err: error }, 'realtime socket error'));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
