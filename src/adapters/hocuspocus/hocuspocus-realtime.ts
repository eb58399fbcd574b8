import {
  Hocuspocus,
  isTransactionOrigin,
  OutgoingMessage,
  type Connection,
  type Document,
  type Extension,
} from '@hocuspocus/server';
import * as Y from 'yjs';
import { ConflictError } from '../../domain/errors.ts';
import { concerns } from '../../domain/realtime/access-change.ts';
import { isRealtimeRefusal, type RealtimeAccess, type RealtimeCredentials } from '../../app/realtime/connect.ts';
import type { DocumentLog } from '../../app/realtime/document-log.ts';
import { dashboardOf, parseDocumentName } from '../../app/realtime/document-name.ts';
import { DurableAcks } from './durable-acks.ts';
import { durableFanOut } from './durable-fan-out.ts';
import type { DocumentStore } from '../../ports/document-store.ts';
import type { Logger } from '../../ports/logger.ts';
import type { AccessChange, Realtime, Viewer } from '../../ports/realtime.ts';
import {
  bringsNothingNew,
  headerRecord,
  readable,
  watchDecisions,
  type ConnectionContext,
  type DecisionReport,
} from './connection-hooks.ts';
import {
  awarenessBytes,
  closeCodes,
  defaultRealtimeLimits,
  DocumentSizes,
  type RealtimeLimits,
} from './realtime-limits.ts';

/** The socket Hocuspocus is handed (a `ws` WebSocket on Node, a `WebSocketPair` end in the Durable Object). */
export interface RealtimeSocket {
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** Options of the Node realtime server. */
export interface HocuspocusRealtimeOptions {
  /**
   * Decides who may open a document of a dashboard and whether read-only (the app's
   * `admitRealtime`): the dashboard document (named by the dashboard id) or its state document
   * (`<id>/state`, always read-only).
   */
  readonly admit: (credentials: RealtimeCredentials, documentName: string) => Promise<RealtimeAccess>;
  readonly store: DocumentStore;
  readonly log: DocumentLog;
  readonly logger: Logger;
  /** How long after the last change a document is compacted (ms), and at most how long that waits. */
  readonly compactAfterMs: number;
  readonly compactAtMostMs: number;
  /**
   * A connected member wrote their own decision into the dashboard document (`decisions` → approval
   * key → their user id). Decisions written under someone else's id are ignored.
   */
  readonly onDecision?: DecisionReport;
  /**
   * A connection was admitted (after `admit`), e.g. to record it in the live-connection registry.
   * `dashboardId` is the dashboard's id for either of its documents.
   */
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
  /** Message, awareness and document size limits (`defaultRealtimeLimits` when unset). */
  readonly limits?: RealtimeLimits;
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

/** The WebSocket close code sent when access is revoked (4000-4999: application codes). */
export const accessRevokedCode = closeCodes.accessRevoked;

/** WebSocket `readyState` of an open socket (the same in `ws` and workerd). */
const openState = 1;

/** y-protocols' sync message types (`beforeSync`'s `type`). */
const syncStep2 = 1;
const syncUpdate = 2;

/**
 * Dashboards on Node: Hocuspocus with Baton's access checks, durable update log and presence.
 * Every connection is admitted by the app's policy (read-only for viewers); every accepted update
 * goes to the group-committed log; compaction runs on Hocuspocus's debounced store hook.
 */
export class HocuspocusRealtime implements Realtime {
  readonly hocuspocus: Hocuspocus;
  readonly #options: HocuspocusRealtimeOptions;
  readonly #held = new Map<string, Held>();
  /** Each handshake's socket, for closing it when admission fails for a passing reason. */
  readonly #sockets = new WeakMap<Request, RealtimeSocket>();
  readonly #sizes = new DocumentSizes();
  #closed = false;
  /** The size limits this server enforces. */
  readonly limits: RealtimeLimits;

  constructor(options: HocuspocusRealtimeOptions) {
    this.#options = options;
    const { admit, store, log, logger } = options;
    const limits = (this.limits = options.limits ?? defaultRealtimeLimits);
    const sockets = this.#sockets;
    const sizes = this.#sizes;
    // During an outage every client retries admission: one warning per 10 s, with the count.
    let admissionWarnedAt = Number.NEGATIVE_INFINITY;
    let admissionFailures = 0;
    this.hocuspocus = new Hocuspocus({
      name: 'baton',
      quiet: true,
      debounce: options.compactAfterMs,
      maxDebounce: options.compactAtMostMs,
      extensions: [...(options.extensions ?? [])],
      async onAuthenticate({ token, requestHeaders, documentName, connectionConfig, request }) {
        const credentials: RealtimeCredentials = { token: token ?? '', headers: headerRecord(requestHeaders) };
        try {
          const access = await admit(credentials, documentName);
          // Every connection to a state document is read-only, whatever `admit` answers: Hocuspocus
          // then applies, stores and fans out nothing a client sends to it.
          connectionConfig.readOnly = access.readOnly || parseDocumentName(documentName)?.part === 'state';
          return {
            access,
            credentials,
            connectionId: crypto.randomUUID(),
            refusedWhileReadOnly: false,
            askedForMissing: false,
          } satisfies ConnectionContext;
        } catch (error) {
          if (isRealtimeRefusal(error)) throw new Error(error.code, { cause: error });
          // Not a refusal: nobody decided (the database is unreachable, a timeout). Hocuspocus would
          // answer permission-denied, which the provider takes as final until its socket happens to
          // close; closing the socket first makes it reconnect with its backoff, and the denial
          // Hocuspocus sends after that goes nowhere.
          admissionFailures += 1;
          if (Date.now() - admissionWarnedAt >= 10_000) {
            logger.warn(
              { err: error, dashboardId: documentName, failures: admissionFailures },
              'could not admit realtime connections; telling the clients to retry',
            );
            admissionWarnedAt = Date.now();
            admissionFailures = 0;
          }
          sockets.get(request)?.close(closeCodes.retryLater, 'try again: the service is unavailable');
          throw new Error('unavailable', { cause: error });
        }
      },
      async connected({ documentName, context }) {
        const admitted = context as ConnectionContext | undefined;
        if (admitted?.access !== undefined)
          options.onOpened?.({
            dashboardId: dashboardOf(documentName),
            connectionId: admitted.connectionId,
            access: admitted.access,
          });
      },
      async onDisconnect({ documentName, context }) {
        const admitted = context as ConnectionContext | undefined;
        if (admitted?.access !== undefined)
          options.onClosed?.({ dashboardId: dashboardOf(documentName), connectionId: admitted.connectionId });
      },
      async onLoadDocument({ document, documentName }) {
        const stored = await store.load(documentName);
        document.transact(() => {
          if (stored.snapshot !== null) Y.applyUpdate(document, stored.snapshot);
          for (const row of stored.updates) Y.applyUpdate(document, row.update);
        }, loadOrigin);
        log.adopt(
          documentName,
          stored.updates.map((row) => row.seq),
        );
        // Recorded as applied, not in onChange: Hocuspocus acknowledges a client's update right
        // after applying it and runs onChange later, so the acknowledgement can wait for the
        // durable log only if the log has the update by then (fan-out does not wait).
        document.on('update', (update: Uint8Array, origin: unknown) => {
          // Server writes record themselves. What arrives through Redis is logged here too, although
          // the instance it came from logs it: that one may die before its write commits, and this
          // one would then hold the edit in memory only, acknowledge it to its author reconnecting
          // here (their sync brings nothing new) and build later edits on it.
          if (isTransactionOrigin(origin) && origin.source === 'local' && origin.context === serverWrite) return;
          const durable = log.record(documentName, document, update);
          if (isTransactionOrigin(origin) && origin.source === 'connection') acks.hold(origin.connection, durable);
          // A refused document is reported by the log itself.
          else durable.catch(() => undefined);
        });
      },
      async afterLoadDocument({ document, documentName }) {
        sizes.track(documentName, document);
        // Decisions are written into the dashboard document; the state document takes no client's writes.
        const address = parseDocumentName(documentName);
        if (options.onDecision !== undefined && address?.part === 'dashboard')
          watchDecisions(document, address.dashboardId, options.onDecision);
      },
      onStoreDocument: async ({ documentName, document }) => {
        // After close, everything was compacted; a late debounce has nothing left to store.
        if (this.#closed) return;
        await log.compact(documentName, document);
        sizes.measure(documentName, document);
      },
      async afterUnloadDocument({ documentName }) {
        log.forget(documentName);
        sizes.forget(documentName);
      },
      async beforeSync({ connection, document, documentName, type, payload }) {
        if (type !== syncStep2 && type !== syncUpdate) return;
        const context = connection.context as ConnectionContext | undefined;
        if (connection.readOnly) {
          // Hocuspocus refuses it (and tells the client "not applied"); remember that, as the
          // client's later updates build on it (see #recheck). A sync step that brings nothing new is accepted.
          if (context !== undefined && (type === syncUpdate || !bringsNothingNew(document, payload)))
            context.refusedWhileReadOnly = true;
          return;
        }
        const refusal =
          sizes.of(documentName) + payload.byteLength > limits.documentBytes
            ? ({ code: closeCodes.documentTooLarge, reason: 'document too large' } as const)
            : !readable(payload)
              ? ({ code: closeCodes.unreadableUpdate, reason: 'update could not be read' } as const)
              : undefined;
        if (refusal === undefined) {
          // The acknowledgement also waits for what the document logged before (e.g. from another
          // instance): a client's sync says it is synced with all of it, not just with what it sent.
          const settled = log.settled(documentName);
          if (settled !== undefined) acks.hold(connection, settled);
          return;
        }
        // Refused as a read-only connection's update is (not applied, the client told "not
        // applied"); the socket closes, as every later update of this client would build on it.
        logger.warn(
          {
            dashboardId: documentName,
            bytes: payload.byteLength,
            size: sizes.of(documentName),
            limit: limits.documentBytes,
            reason: refusal.reason,
          },
          'refused a realtime update',
        );
        connection.readOnly = true;
        connection.webSocket.close(refusal.code, refusal.reason);
      },
      async afterHandleMessage({ connection, document }) {
        // Structs Yjs holds back wait for ones this server never got (refused, or lost): ask the
        // client for everything missing (sync step 1: it answers with step 2), once until resolved
        // (the pending structs may be another client's, and this one's answer must not loop).
        const context = connection.context as ConnectionContext | undefined;
        if (context === undefined || connection.readOnly) return;
        if (document.store.pendingStructs === null) {
          context.askedForMissing = false;
          return;
        }
        if (context.askedForMissing) return;
        context.askedForMissing = true;
        connection.send(
          new OutgoingMessage(connection.messageAddress)
            .createSyncMessage()
            .writeFirstSyncStepFor(document)
            .toUint8Array(),
        );
      },
      async beforeHandleAwareness({ states, connection }) {
        // Presence says who someone is from their credentials, not from what their client claims.
        const context = connection?.context as ConnectionContext | undefined;
        if (context === undefined) return;
        const user = {
          id: context.access.principal.userId,
          name: context.access.user.name,
          email: context.access.user.email,
        };
        for (const [clientId, state] of states) {
          // A state over the limit is dropped (only who they are is kept): never fanned out or listed.
          if (awarenessBytes(state) > limits.awarenessBytes) {
            logger.info(
              { dashboardId: connection?.document.name, bytes: awarenessBytes(state), limit: limits.awarenessBytes },
              'dropped an awareness state over the limit',
            );
            states.set(clientId, { user });
          } else {
            state.user = user;
          }
        }
      },
    });
  }

  /** Hands an accepted WebSocket to Hocuspocus; the caller forwards its messages and close. */
  handleConnection(socket: RealtimeSocket, request: Request) {
    // Nothing is sent on a socket that is no longer open (workerd throws on a send after close,
    // e.g. Hocuspocus's answer to an admission the client gave up on), nor once this server closed it.
    let closing = false;
    // A state document's messages wait until what they carry is durable (see durable-fan-out.ts).
    const send = durableFanOut(
      (data) => {
        if (!closing && socket.readyState === openState) socket.send(data);
      },
      (documentName) => parseDocumentName(documentName)?.part === 'state',
      (documentName) => this.#options.log.settled(documentName),
    );
    const guarded: RealtimeSocket = {
      get readyState() {
        return socket.readyState;
      },
      send(data) {
        if (!closing && socket.readyState === openState) send(data);
      },
      close(code, reason) {
        if (closing) return;
        closing = true;
        socket.close(code, reason);
      },
    };
    this.#sockets.set(request, guarded);
    return this.hocuspocus.handleConnection(guarded, request);
  }

  async state(documentName: string): Promise<Uint8Array> {
    this.#assertOpen();
    const connection = await this.#hold(documentName);
    return Y.encodeStateAsUpdate(connection.document as Document);
  }

  async applyUpdate(documentName: string, update: Uint8Array): Promise<void> {
    this.#assertOpen();
    const connection = await this.#hold(documentName);
    const { documentBytes } = this.limits;
    if (this.#sizes.of(documentName) + update.byteLength > documentBytes)
      throw new ConflictError(
        `The dashboard is full: its document would grow past ${documentBytes} bytes ` +
          '(BATON_REALTIME_MAX_DOCUMENT_BYTES)',
        { details: { limit: documentBytes } },
      );
    // Recorded before it is applied: the fan-out of a state document waits for what its log holds
    // (durable-fan-out.ts), so the log must hold this update when the document sends it. The log
    // writes it a commit window later, after the (synchronous) apply: compaction never folds a row
    // the live document lacks.
    const durable = this.#options.log.record(documentName, connection.document as Document, update);
    try {
      await connection.transact((document) => Y.applyUpdate(document, update));
    } catch (error) {
      durable.catch(() => undefined);
      throw error;
    }
    await durable;
  }

  /**
   * The server's own connection to a document, opened on first use and kept while it writes (each
   * use restarts the hold); once idle for `holdMs` it disconnects, and Hocuspocus compacts and
   * unloads the document unless people are connected.
   */
  #hold(documentName: string): Promise<DirectConnection> {
    let held = this.#held.get(documentName);
    if (held === undefined) {
      const connection = this.hocuspocus.openDirectConnection(documentName, serverWrite);
      held = { connection, timer: undefined };
      this.#held.set(documentName, held);
      // A document that failed to load is not held: the next write tries again.
      connection.catch(() => this.#held.delete(documentName));
    }
    if (held.timer !== undefined) clearTimeout(held.timer);
    const current = held;
    current.timer = setTimeout(() => {
      if (this.#held.get(documentName) !== current) return;
      this.#held.delete(documentName);
      void current.connection
        .then((c) => c.disconnect())
        .catch((error: unknown) =>
          this.#options.logger.warn({ err: error, dashboardId: documentName }, 'could not let go of a dashboard'),
        );
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

  /**
   * Open client connections (one per socket and document; the server's own writes are not counted)
   * and loaded documents, for metrics: read on a scrape, not tracked on every connect.
   */
  liveCounts(): { connections: number; documents: number } {
    let connections = 0;
    for (const document of this.hocuspocus.documents.values()) connections += document.getConnections().length;
    return { connections, documents: this.hocuspocus.documents.size };
  }

  /** Checks open connections that `change` concerns again: closes refused ones, updates read-only. */
  async revalidate(change: AccessChange | 'all'): Promise<void> {
    const checks: Array<Promise<void>> = [];
    for (const [documentName, document] of this.hocuspocus.documents) {
      // Both documents of a dashboard (`<id>`, `<id>/state`) answer to a change of that dashboard.
      const dashboardId = dashboardOf(documentName);
      for (const connection of document.getConnections()) {
        const context = connection.context as ConnectionContext | undefined;
        if (context?.access === undefined) continue;
        const { principal, sessionId } = context.access;
        const subject = { dashboardId, userId: principal.userId, tokenId: principal.tokenId, sessionId };
        if (!concerns(change, subject)) continue;
        checks.push(this.#recheck(documentName, connection, context));
      }
    }
    await Promise.all(checks);
  }

  async #recheck(documentName: string, connection: Connection, context: ConnectionContext): Promise<void> {
    try {
      context.access = await this.#options.admit(context.credentials, documentName);
      const wasReadOnly = connection.readOnly;
      // The state document is read-only whoever asks (`admit` says so; this keeps it so whatever
      // `admit` answers): it never becomes writable, so it is never told to resync.
      const stateDocument = parseDocumentName(documentName)?.part === 'state';
      connection.readOnly = stateDocument || context.access.readOnly;
      if (!stateDocument && wasReadOnly !== connection.readOnly) {
        // The client learned its scope when it was admitted; tell it the new one (an editor made a
        // viewer, an archived dashboard), so a page takes its edit controls away instead of typing
        // into edits the server refuses. `accessChangeMessage` in client/live.ts reads it.
        connection.sendStateless(JSON.stringify({ access: connection.readOnly ? 'readonly' : 'read-write' }));
      }
      if (wasReadOnly && !connection.readOnly && context.refusedWhileReadOnly) {
        // Edits it made while read-only were refused, and Yjs would hold back every later edit
        // that builds on them (acknowledged, never stored or fanned out). The provider reconnects
        // on close, and its sync exchange then brings over everything either side lacks.
        connection.webSocket.close(closeCodes.resync, 'resync: write access is back');
      }
    } catch (error) {
      if (!isRealtimeRefusal(error)) {
        this.#options.logger.warn(
          { err: error, dashboardId: documentName },
          'could not re-check a realtime connection; keeping it',
        );
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
    for (const document of this.hocuspocus.documents.values())
      for (const connection of document.getConnections()) connection.close({ code: 1001, reason: 'server stopping' });
    await this.#options.log.flush();
    for (const [dashboardId, document] of this.hocuspocus.documents) {
      await this.#options.log
        .compact(dashboardId, document)
        .catch((error: unknown) =>
          this.#options.logger.warn(
            { err: error, dashboardId },
            'could not compact a document at shutdown; its log stays',
          ),
        );
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
