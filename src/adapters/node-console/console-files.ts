import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConsoleUnavailable } from '../../app/http/console-paths.ts';

/** What the HTTP server asks of the console's build: its page, or why there is none; its files. */
export interface ConsoleSource {
  /** index.html, or why the console cannot be shown now. */
  page(): Promise<{ readonly html: Uint8Array } | ConsoleUnavailable>;
  /** The bytes of `assets/<name>` (a name `assetFileName` accepted), or null when there is no such file. */
  asset(name: string): Promise<Uint8Array | null>;
}

/**
 * The built console in a directory (`web/dist`): index.html kept in memory once read, hashed files
 * read on request. A build running at start-up marks it `building`, then `ready` or `failed`; a
 * failed build leaves an older build in place to be served when there is one.
 */
export class ConsoleFiles implements ConsoleSource {
  readonly #dir: string;
  #state: 'ready' | ConsoleUnavailable = 'ready';
  #index: Uint8Array | undefined;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** A build started: requests get the "being built" page until it ends (unless an older build is there). */
  building(): void {
    this.#state = { reason: 'building' };
  }

  /** The build finished: serve what it wrote. */
  ready(): void {
    this.#index = undefined;
    this.#state = 'ready';
  }

  /** The build failed: serve the older build when there is one, else a page that says so. */
  failed(detail: string): void {
    this.#index = undefined;
    this.#state = { reason: 'failed', detail };
  }

  async page(): Promise<{ readonly html: Uint8Array } | ConsoleUnavailable> {
    if (this.#index !== undefined) return { html: this.#index };
    try {
      const html = await readFile(join(this.#dir, 'index.html'));
      // While a build runs, the previous build's files are still whole (it writes elsewhere first).
      if (this.#state === 'ready') this.#index = html;
      return { html };
    } catch {
      return this.#state === 'ready' ? { reason: 'missing' } : this.#state;
    }
  }

  async asset(name: string): Promise<Uint8Array | null> {
    try {
      return await readFile(join(this.#dir, 'assets', name));
    } catch {
      return null;
    }
  }
}
