import type { Connection } from '@hocuspocus/server';

/** The Hocuspocus message type of acknowledgements (`MessageType.SyncStatus`). */
const syncStatusType = 8;

/** One connection's acknowledgements: those waiting, and the durability the next one waits for. */
interface Gate {
  /** Durability of the updates applied since the last acknowledgement was sent. */
  due: Promise<void> | undefined;
  /** The acknowledgements already held back, in order. */
  tail: Promise<void>;
  waiting: number;
}

/**
 * Acknowledged means durable. Hocuspocus answers every update a client sends with a SyncStatus
 * message right after applying it (`MessageReceiver`), synchronously, and runs the `onChange` hook
 * only later, so by itself it acknowledges edits the log has not written. This holds a
 * connection's SyncStatus messages back until the updates it applied before them are durable
 * (`hold`, called as the document applies each update, before its acknowledgement is sent), in
 * their order; every other message (fan-out, sync, awareness) goes out at once. An update the log
 * refuses is answered "not applied", which the provider does not count as synced.
 */
export class DurableAcks {
  readonly #gates = new WeakMap<Connection, Gate>();

  /** The update `connection` just sent is durable when `durable` resolves: its acknowledgement waits. */
  hold(connection: Connection, durable: Promise<void>): void {
    // Whoever else waits for it handles its failure; this one is observed through the gate.
    durable.catch(() => undefined);
    const gate = this.#gates.get(connection) ?? this.#open(connection);
    gate.due = gate.due === undefined ? durable : Promise.all([gate.due, durable]).then(() => undefined);
  }

  #open(connection: Connection): Gate {
    const gate: Gate = { due: undefined, tail: Promise.resolve(), waiting: 0 };
    this.#gates.set(connection, gate);
    const send = connection.send.bind(connection);
    connection.send = (message: Uint8Array) => {
      const status = syncStatusOf(message);
      if (status === undefined) return send(message);
      const due = gate.due;
      gate.due = undefined;
      if (due === undefined && gate.waiting === 0) return send(message);
      gate.waiting += 1;
      gate.tail = gate.tail
        .then(() => due)
        .then(
          () => send(message),
          () => send(status.refused),
        )
        .finally(() => {
          gate.waiting -= 1;
        });
    };
    return gate;
  }
}

/**
 * The SyncStatus message in `message` (address, type 8, applied flag), with the same message
 * saying "not applied"; undefined for any other message.
 */
function syncStatusOf(message: Uint8Array): { refused: Uint8Array } | undefined {
  const length = readVarUint(message, 0);
  if (length === undefined) return undefined;
  const typeAt = length.next + length.value;
  const type = readVarUint(message, typeAt);
  if (type === undefined || type.value !== syncStatusType) return undefined;
  // The flag is lib0's varInt: 1 (applied) and 0 (not applied) are one byte each.
  if (message.length !== type.next + 1) return undefined;
  const refused = message.slice();
  refused[type.next] = 0;
  return { refused };
}

/** lib0's varUint at `at`: its value and where the next field starts. */
function readVarUint(bytes: Uint8Array, at: number): { value: number; next: number } | undefined {
  let value = 0;
  for (let i = at, shift = 0; i < bytes.length && shift < 35; i++, shift += 7) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return { value, next: i + 1 };
  }
  return undefined;
}
