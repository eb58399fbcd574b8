import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';

/** JavaScript a page fetched from the console's `/assets/`, with each file's gzipped size. */
export interface ScriptsFetched {
  /** Asset paths (`/assets/…js`) in the order they were requested. */
  readonly files: readonly string[];
  /** The sum of their sizes gzipped (level 9, what a CDN serves), in bytes. */
  gzipBytes(): number;
}

/**
 * Starts recording the console's JavaScript `page` requests (call before navigating); `stop` gives
 * what was fetched so far. Sizes are read from the built files in `dist` (web/dist) and gzipped
 * here: the Node server does not compress, a CDN in front of it (and Workers) does.
 */
export function recordScripts(page: Page, dist = 'web/dist'): { stop(): ScriptsFetched } {
  const files: string[] = [];
  const onRequest = (request: { url(): string }) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/assets/') && path.endsWith('.js') && !files.includes(path)) files.push(path);
  };
  page.on('request', onRequest);
  return {
    stop() {
      page.off('request', onRequest);
      const taken = [...files];
      return {
        files: taken,
        gzipBytes: () =>
          taken.reduce((sum, path) => sum + gzipSync(readFileSync(join(dist, path)), { level: 9 }).length, 0),
      };
    },
  };
}
