/**
 * Group commit for one kind of write: an item that arrives while no batch is being written goes out
 * at once (with whatever arrived in the same tick); items that arrive meanwhile wait and go out
 * together in the next statement. An idle server adds no delay; a busy one sends one statement per
 * batch instead of one per item, which on a machine where each round trip costs is most of the work.
 *
 * `flush` gets the items in arrival order and returns one result per item, in the same order; when it
 * fails, every item of that batch fails with its error.
 */
export function createWriteBatcher<I, O>(
  flush: (items: readonly I[]) => Promise<readonly O[]>,
  maxBatch = 500,
): (item: I) => Promise<O> {
  type Waiting = { item: I; resolve: (value: O) => void; reject: (error: unknown) => void };
  let queue: Waiting[] = [];
  let writing = false;

  const drain = async (): Promise<void> => {
    writing = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        try {
          const results = await flush(batch.map((w) => w.item));
          if (results.length !== batch.length)
            throw new Error(`a batched write returned ${results.length} results for ${batch.length} items`);
          batch.forEach((w, i) => w.resolve(results[i] as O));
        } catch (error) {
          for (const w of batch) w.reject(error);
        }
      }
    } finally {
      writing = false;
    }
  };

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      // Started on the next microtask: items of the same tick share the first statement.
      if (!writing) {
        writing = true;
        queueMicrotask(() => void drain());
      }
    });
}
