/** The part of a terminal stream the redraw needs (`process.stdout` on a TTY). */
export interface ScreenStream {
  write(text: string): unknown;
  readonly columns?: number;
  readonly rows?: number;
}

/**
 * A block of lines redrawn in place at the bottom of the terminal with ANSI cursor movement: each
 * draw moves the cursor back up over the previous block (CPL), clears to the end of the screen (ED)
 * and writes the new one. Lines must not wrap (the caller cuts them to `columns`), and the block is
 * kept shorter than the screen, since lines scrolled off the top can no longer be reached.
 */
export class LiveScreen {
  readonly #stream: ScreenStream;
  #drawn = 0;
  #cursorHidden = false;

  constructor(stream: ScreenStream) {
    this.#stream = stream;
  }

  /** Columns to cut lines to. */
  get width(): number {
    return this.#stream.columns ?? 80;
  }

  /** Replaces the block with `lines`. */
  draw(lines: readonly string[]): void {
    const room = Math.max(2, (this.#stream.rows ?? 24) - 1);
    const shown =
      lines.length <= room
        ? lines
        : [
            ...lines.slice(0, room - 1),
            `\x1b[2m… ${lines.length - room + 1} more lines (a taller terminal shows them)\x1b[0m`,
          ];
    let out = this.#cursorHidden ? '' : '\x1b[?25l';
    this.#cursorHidden = true;
    if (this.#drawn > 0) out += `\x1b[${this.#drawn}F`;
    out += '\x1b[J';
    for (const line of shown) out += `${line}\n`;
    this.#stream.write(out);
    this.#drawn = shown.length;
  }

  /** After a resize the old block may have wrapped: start over from a cleared screen. */
  reset(): void {
    this.#stream.write('\x1b[2J\x1b[H');
    this.#drawn = 0;
  }

  /** Leaves the last block on the screen and shows the cursor again. */
  end(): void {
    if (this.#cursorHidden) this.#stream.write('\x1b[?25h');
    this.#cursorHidden = false;
    this.#drawn = 0;
  }
}
