import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './chromium.ts';

export { axeViolations, type AxeViolation } from './axe.ts';
import { createToken, startServer, type RunningServer, type ServerOptions } from './server.ts';

/**
 * The browser tests' harness: the real server (a child process, its own database, the development
 * identity provider), headless Chromium, sign-in through the provider's form, API helpers, and
 * screenshots for the README.
 */
export interface Console {
  /** The server's URL; pages from `newPage` resolve relative URLs against it. */
  readonly url: string;
  readonly browser: Browser;
  readonly server: RunningServer;
  /**
   * A page in a fresh browser context (its own cookies and storage), 1280×800, light colours unless
   * asked. `bypassCSP` only for injecting test tools (axe); never to make the console work.
   */
  newPage(options?: { colorScheme?: 'light' | 'dark'; bypassCSP?: boolean }): Promise<Page>;
  /** Closes the browser and stops the server. */
  stop(): Promise<void>;
}

/** Starts the server and Chromium (call in beforeAll with a long timeout; `stop` in afterAll). */
export async function startConsole(options: ServerOptions = {}): Promise<Console> {
  const server = await startServer(options);
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (error) {
    await server.stop();
    throw error;
  }
  return {
    url: server.url,
    browser,
    server,
    async newPage(options = {}) {
      const context = await browser.newContext({
        baseURL: server.url,
        viewport: { width: 1280, height: 800 },
        colorScheme: options.colorScheme ?? 'light',
        bypassCSP: options.bypassCSP ?? false,
      });
      return context.newPage();
    },
    async stop() {
      await browser.close().catch(() => undefined);
      await server.stop();
    },
  };
}

/**
 * Signs `email` in on `page` the way a person does: the console's sign-in page, its button, the
 * development provider's form. Ends back on the console at `returnTo` (default `/`).
 */
export async function signIn(
  page: Page,
  email: string,
  options: { name?: string; returnTo?: string } = {},
): Promise<void> {
  const returnTo = options.returnTo ?? '/';
  await page.goto(`/sign-in?returnTo=${encodeURIComponent(returnTo)}`);
  const consoleOrigin = new URL(page.url()).origin;
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.locator('input[name="email"]').fill(email);
  if (options.name !== undefined) await page.locator('input[name="name"]').fill(options.name);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Through the provider and /auth/callback, back on a console page.
  await page.waitForURL(
    (url) => url.origin === consoleOrigin && url.pathname !== '/auth/callback' && url.pathname !== '/sign-in',
    { timeout: 30_000 },
  );
}

/** A person's view of the API through an API token (what tests arrange before the browser looks). */
export interface ApiUser {
  readonly email: string;
  readonly token: string;
  readonly userId: string;
  /** Calls the API; resolves with the parsed JSON body (undefined for 204), throws on anything but 2xx. */
  request<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
  /** POST /v1/workspaces. */
  createWorkspace(name: string): Promise<{ id: string; name: string }>;
  /** POST /v1/workspaces/{wid}/dashboards. */
  createDashboard(workspaceId: string, name: string): Promise<{ id: string; name: string; workspaceId: string }>;
  /** POST /v1/workspaces/{wid}/recipes with the body the API takes (name, definition, …). */
  createRecipe(workspaceId: string, body: Record<string, unknown>): Promise<{ id: string } & Record<string, unknown>>;
}

/**
 * An API client acting as `email` (made by `baton admin create-token`, so the same person who signs
 * in with that e-mail through the development provider).
 */
export async function apiAs(console: Console, email: string): Promise<ApiUser> {
  const token = await createToken(console.server, email);
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(`${console.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 500)}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  const me = await request<{ user: { id: string } }>('GET', '/v1/me');
  return {
    email,
    token,
    userId: me.user.id,
    request,
    createWorkspace: (name) => request('POST', '/v1/workspaces', { name }),
    createDashboard: (workspaceId, name) => request('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name }),
    createRecipe: (workspaceId, body) => request('POST', `/v1/workspaces/${workspaceId}/recipes`, body),
  };
}

/**
 * Where screenshots go: `.data/screenshots` (ignored by git), so a test run leaves the tree clean;
 * `npm run screenshots` sets BATON_SCREENSHOTS_DIR=docs/screenshots to refresh the README's pictures.
 */
export const screenshotDir = join(process.cwd(), process.env.BATON_SCREENSHOTS_DIR ?? join('.data', 'screenshots'));

/** Saves the page as `<screenshotDir>/<name>.png` (kebab-case names); returns the path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) throw new Error(`screenshot names are kebab-case: ${name}`);
  await mkdir(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: false, animations: 'disabled' });
  return path;
}
