import { describe, expect, it } from 'vitest';
import { durableFanOut } from '../../../src/adapters/hocuspocus/durable-fan-out.ts';

/** A Hocuspocus-shaped message: the document's name, then a body. */
function message(documentName: string, body: number): Uint8Array {
  const name = new TextEncoder().encode(documentName);
  // lib0's varString: its length as a varUint (one byte under 128), then the UTF-8 bytes.
  return Uint8Array.from([name.length, ...name, body]);
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('durableFanOut', () => {
  it(
    "holds a held document's messages, in order, until " + 'what its log recorded is durable; others go at once',
    async () => {
      const sent: Uint8Array[] = [];
      let release: () => void = () => undefined;
      let pending: Promise<void> | undefined = new Promise<void>((resolve) => (release = resolve));
      const send = durableFanOut(
        (data) => sent.push(data),
        (name) => name.endsWith('/state'),
        () => pending,
      );
      const state = [message('d/state', 1), message('d/state', 2)];
      const other = message('d', 3);
      send(state[0] as Uint8Array);
      send(other);
      send(state[1] as Uint8Array);
      await flush();
      expect(sent).toEqual([other]);
      pending = undefined;
      release();
      await flush();
      expect(sent).toEqual([other, ...state]);
    },
  );

  it(
    'looks the log up after the sending code has run (the update is ' +
      'recorded after its fan-out), and sends even what the log refused',
    async () => {
      const sent: number[] = [];
      const log: { recorded?: Promise<void> } = {};
      const send = durableFanOut(
        (data) => sent.push(data.at(-1) as number),
        () => true,
        () => log.recorded,
      );
      let fail: (error: Error) => void = () => undefined;
      send(message('x/state', 7));
      // Recorded synchronously after the send, as the document's update listeners do.
      log.recorded = new Promise<void>((_, reject) => (fail = reject));
      await flush();
      expect(sent).toEqual([]);
      fail(new Error('refused'));
      await flush();
      expect(sent).toEqual([7]);
    },
  );
});
