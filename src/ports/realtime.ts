import type { AccessChange } from '../domain/realtime/access-change.ts';
import type { Transaction } from './unit-of-work.ts';

/** Which open connections an access change concerns (the rule: src/domain/realtime/access-change.ts). */
export type { AccessChange };

/** Someone looking at a dashboard right now. */
export interface Viewer {
  readonly userId: string;
  readonly name: string | null;
  readonly email: string | null;
  /** True when the connection may not write (viewer role, read-only token, archived dashboard). */
  readonly readOnly: boolean;
  /** What the client last said it was doing (awareness), e.g. `{ focus: "<itemId>", cursor: {...} }`. */
  readonly state: Readonly<Record<string, unknown>>;
}

/**
 * Live dashboard documents. Node: Hocuspocus; Cloudflare: a Durable Object per dashboard (serving
 * both of its documents). Updates are Yjs updates (bytes), so the core can build them with yjs
 * without knowing the server. A document is named as in the protocol: the dashboard id for the
 * dashboard document, `stateDocumentName(id)` (`<id>/state`) for its read-only state document
 * (`src/app/realtime/document-name.ts`).
 */
export interface Realtime {
  /** The document's current state as one Yjs update, loading it if needed. */
  state(documentName: string): Promise<Uint8Array>;
  /**
   * Applies an update as the server (REST writes, agents, the mirrors); connected clients receive
   * it at once. Resolves once the update is in the durable log.
   */
  applyUpdate(documentName: string, update: Uint8Array): Promise<void>;
  /** Who is connected to the dashboard now (empty when nobody is). */
  presence(dashboardId: string): Promise<Viewer[]>;
}

/** Tells realtime servers (all instances) to check open connections again after access changed. */
export interface AccessEvents {
  /**
   * Publishes the change; with a transaction, it is not delivered before that commits. It may be
   * delivered although the transaction rolled back (the Worker's objects hear of it after the
   * request): connections are then checked against unchanged access, which changes nothing.
   */
  publish(change: AccessChange, tx?: Transaction): Promise<void>;
}
