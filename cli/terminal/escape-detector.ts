const tilde = 0x7e;
const dot = 0x2e;
const cr = 0x0d;
const lf = 0x0a;

/** What one chunk of input comes to: the bytes to send on, and whether `~.` asked to detach. */
export interface EscapeResult {
  readonly forward: Uint8Array;
  readonly detach: boolean;
}

/**
 * ssh's escape, for `baton terminal`: `~` typed at the start of a line (the session's first byte, or
 * after Enter) is held back; `~.` then detaches, `~~` sends one `~`, and `~` followed by anything
 * else sends both. Works on raw keystrokes and on piped bytes alike, across chunk boundaries.
 */
export class EscapeDetector {
  #atLineStart = true;
  #holding = false;

  /** Feeds a chunk of input; after `detach` the rest of the chunk is dropped. */
  feed(chunk: Uint8Array): EscapeResult {
    const out: number[] = [];
    for (const byte of chunk) {
      if (this.#holding) {
        this.#holding = false;
        if (byte === dot) return { forward: Uint8Array.from(out), detach: true };
        out.push(tilde);
        if (byte === tilde) {
          this.#atLineStart = false;
          continue;
        }
      } else if (this.#atLineStart && byte === tilde) {
        this.#holding = true;
        continue;
      }
      out.push(byte);
      this.#atLineStart = byte === cr || byte === lf;
    }
    return { forward: Uint8Array.from(out), detach: false };
  }
}
