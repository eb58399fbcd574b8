import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's Chromium lives (`apt-get install chromium`); BATON_CHROMIUM overrides it. */
export const chromiumPath = process.env.BATON_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Launches headless Chromium. Without it the browser tests fail (never skip silently), saying how
 * to install it. As root Chromium needs --no-sandbox (containers, CI).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `The browser tests need Chromium at ${chromiumPath}: install it with \`sudo apt-get ` +
        `install -y chromium\` (Debian/Ubuntu), or set BATON_CHROMIUM to a Chromium binary.`,
    );
  }
  const asRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  return chromium.launch({ executablePath: chromiumPath, headless: true, args: asRoot ? ['--no-sandbox'] : [] });
}
