/**
 * Messages to clients of a read-only document go out only once what they carry is durable.
 *
 * A client of a state document (`<id>/state`) can never give the server anything back: its
 * connection is read-only, so its reconnect's sync is refused. Were it sent a server write that the
 * instance then lost (killed between fan-out and the log's commit), its copy would keep that write
 * for ever, and a later write of the same Y.Map key, built without it, could lose to it there: the
 * client would show another value than the server. So each message for such a document waits, in
 * order, until everything the document's log had recorded when the message was sent is durable
 * (a commit window and one transaction at most while Postgres answers). A dashboard document's
 * messages are not delayed: its clients send back what the server lacks.
 *
 * Returns the socket's send: `held(name)` says which documents wait, `settled(name)` is the log's
 * promise for what that document recorded so far (undefined when nothing waits).
 */
export function durableFanOut(
  send: (data: Uint8Array) => void,
  held: (documentName: string) => boolean,
  settled: (documentName: string) => Promise<void> | undefined,
): (data: Uint8Array) => void {
  const tails = new Map<string, Promise<void>>();
  return (data) => {
    const name = addressOf(data);
    if (name === undefined || !held(name)) {
      send(data);
      return;
    }
    // Looked up a microtask later, not now: Hocuspocus fans an update out from the document's
    // `update` event before the listener that records it in the log has run. A write the log
    // refuses is sent all the same: the server's document holds it, and later ones build on it.
    const tail = (tails.get(name) ?? Promise.resolve())
      .then(() => settled(name))
      .catch(() => undefined)
      .then(() => send(data))
      // Nobody awaits this chain: a send that throws (a socket already gone, whose close handler
      // ends the connection) must not become an unhandled rejection that stops the process.
      .catch(() => undefined);
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
  };
}

/** The document a Hocuspocus message is for: its leading lib0 varString; undefined if unreadable. */
function addressOf(data: Uint8Array): string | undefined {
  let length = 0;
  let at = 0;
  for (let shift = 0; at < data.length && shift < 35; shift += 7) {
    const byte = data[at++] as number;
    length += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) {
      if (at + length > data.length) return undefined;
      return new TextDecoder().decode(data.subarray(at, at + length));
    }
  }
  return undefined;
}
