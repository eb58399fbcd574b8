import * as Y from 'yjs';

/**
 * How a live connection ends, by WebSocket close code (4000-4999: application codes). The
 * provider (`@hocuspocus/provider`) reconnects, with its backoff, after every close; a console
 * shows the reason of the codes that need a person (`docs/dashboard-document.md`, Limits).
 */
export const closeCodes = {
  /** Access refused or revoked while connected. */
  accessRevoked: 4403,
  /** The client must resync: edits of its were refused that the server now needs (write access came back). */
  resync: 4205,
  /** Admission could not be decided (the database unreachable, a timeout): try again, nothing was refused. */
  retryLater: 4503,
  /** An update would grow the document past its limit; it was not applied. */
  documentTooLarge: 4413,
  /** An update Yjs cannot read (malformed, or nested deeper than the server's stack): not applied. */
  unreadableUpdate: 1007,
  /** One WebSocket message was larger than the limit (RFC 6455's "Message Too Big", as `ws` sends). */
  messageTooBig: 1009,
} as const;

/** Sizes a live connection may not exceed (BATON_REALTIME_MAX_*; defaults in `src/app/config.ts`). */
export interface RealtimeLimits {
  /** Largest WebSocket message in bytes; a larger one closes its socket (1009). */
  readonly messageBytes: number;
  /** Largest awareness state one client may publish, in bytes of its JSON; a larger one is dropped. */
  readonly awarenessBytes: number;
  /** Largest document, in bytes of its state as one update; an update that would grow it past this is refused. */
  readonly documentBytes: number;
}

/** 1 MiB messages, 16 KiB awareness states, 16 MiB documents. */
export const defaultRealtimeLimits: RealtimeLimits = {
  messageBytes: 1_048_576,
  awarenessBytes: 16_384,
  documentBytes: 16_777_216,
};

const encoder = new TextEncoder();

/**
 * The size of an awareness state as it travels (its JSON, in UTF-8 bytes), or Infinity when it
 * cannot be measured (it came from JSON, so that is a bug, and dropping it is the safe answer).
 */
export function awarenessBytes(state: unknown): number {
  try {
    return encoder.encode(JSON.stringify(state) ?? '').byteLength;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Each loaded document's size in bytes: exact when loaded and at each compaction, and in between
 * the exact size plus every update applied since (an upper bound: updates merge smaller), so a
 * check per incoming update costs nothing.
 */
export class DocumentSizes {
  readonly #sizes = new Map<string, number>();

  /** Measures `document` now and follows its updates until `forget`. */
  track(name: string, document: Y.Doc): void {
    this.measure(name, document);
    document.on('update', (update: Uint8Array) => {
      const size = this.#sizes.get(name);
      if (size !== undefined) this.#sizes.set(name, size + update.byteLength);
    });
  }

  /** Replaces the estimate with the exact size (after a compaction encoded the document anyway). */
  measure(name: string, document: Y.Doc): void {
    this.#sizes.set(name, Y.encodeStateAsUpdate(document).byteLength);
  }

  /** The document's size (an upper bound), 0 when not tracked. */
  of(name: string): number {
    return this.#sizes.get(name) ?? 0;
  }

  forget(name: string): void {
    this.#sizes.delete(name);
  }
}
