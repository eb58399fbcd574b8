import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/postgres/embedded-postgres.ts';
import { colorFor } from '../../web/src/dashboard/colors.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TestBrowser } from '../support/browser.ts';
import { loginUntilCallback } from '../support/identity.ts';
import { startServerProcess, type Spawned } from '../support/processes.ts';

/**
 * The live dashboard page in real Chromium against the real server: people in separate browser
 * contexts (separate cookies), signed in through the development identity provider.
 *
 * Local harness until the shared one (test/browser/support) serves the console from the server:
 * the console is built once into a temporary directory and each context serves it for page
 * navigations and assets (`context.route`), while /v1, /auth and the WebSocket go to the server,
 * so everything is one origin, as in production.
 */
let database: TestDatabase;
let server: Spawned;
let base: string;
let dist: string;
let browser: Browser;
const contexts: BrowserContext[] = [];

interface Person {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly cookie: string;
}

let ada: Person; // owner
let bob: Person; // editor
let vic: Person; // viewer
let workspaceId: string;

const serverPaths = /^\/(v1|auth|\.well-known|openapi\.json|healthz|readyz)(\/|$|\?)/;
const types: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.html': 'text/html', '.svg': 'image/svg+xml', '.json': 'application/json', '.woff2': 'font/woff2' };

async function signIn(email: string, name: string): Promise<Person> {
  const jar = new TestBrowser();
  await jar.request(await loginUntilCallback(jar, base, email, { name }));
  const cookie = jar.cookie('baton_session') ?? '';
  expect(cookie).not.toBe('');
  const me = await call({ cookie } as Person, 'GET', '/v1/me');
  return { id: me.body.user.id, name, email, cookie };
}

/** An API call as `who` with their session cookie (and our Origin, which cookie writes need). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by the assertions that read them
async function call(who: Pick<Person, 'cookie'>, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { cookie: `baton_session=${who.cookie}`, origin: base, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
async function ok(who: Person, method: string, path: string, body?: unknown): Promise<any> {
  const answer = await call(who, method, path, body);
  expect(answer.status, `${method} ${path}: ${JSON.stringify(answer.body)}`).toBeLessThan(300);
  return answer.body;
}

/** A dashboard owned by Ada, Bob editing and Vic viewing. */
async function newDashboard(name: string): Promise<string> {
  const dashboard = await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/dashboards`, { name });
  await ok(ada, 'PUT', `/v1/dashboards/${dashboard.id}/members/${bob.id}`, { role: 'editor' });
  await ok(ada, 'PUT', `/v1/dashboards/${dashboard.id}/members/${vic.id}`, { role: 'viewer' });
  return dashboard.id;
}

/** A browser context signed in as `who`, looking at the dashboard. */
async function open(who: Person, dashboardId: string, options: { width?: number; dark?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 900 }, colorScheme: options.dark === true ? 'dark' : 'light' });
  contexts.push(context);
  await context.addCookies([{ name: 'baton_session', value: who.cookie, url: base }]);
  await context.route(`${base}/**`, async (route) => {
    const url = new URL(route.request().url());
    if (serverPaths.test(url.pathname)) return route.continue();
    const file = join(dist, url.pathname);
    const asset = url.pathname.startsWith('/assets/') && existsSync(file);
    return route.fulfill({ status: 200, contentType: asset ? (types[extname(file)] ?? 'application/octet-stream') : 'text/html', body: readFileSync(asset ? file : join(dist, 'index.html')) });
  });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.error(`[${who.name}] page error:`, error.message));
  await page.goto(`${base}/dashboards/${dashboardId}`);
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') console.error(`[${who.name}] console ${message.type()}:`, message.text());
  });
  try {
    await page.locator('main.dashboard-page[data-access="read-write"], main.dashboard-page[data-access="readonly"]').waitFor({ timeout: 30_000 });
  } catch (error) {
    console.error(`[${who.name}] the page never got admitted: ${page.url()}\n${(await page.locator('body').innerText()).slice(0, 2000)}`);
    throw error;
  }
  return page;
}

const card = (page: Page, title: string) => page.locator('article.board-item', { has: page.locator(`[aria-label="Title of note"][value="${title}"], h3:text-is("${title}")`) });

beforeAll(async () => {
  dist = mkdtempSync(join(tmpdir(), 'baton-console-'));
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], { stdio: 'inherit' });
  database = await createTestDatabase();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = await startServerProcess(database.url, port, { BATON_DEV_IDP: 'true', BATON_DEV_IDP_PORT: String(await freePort()), BATON_PUBLIC_URL: base });
  // Pages fulfilled by `context.route` have no address space, so Chromium would count them as public
  // and block their WebSocket to loopback (Local Network Access); a page the server sends is fine.
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--disable-features=LocalNetworkAccessChecks'] });
  ada = await signIn('ada@example.com', 'Ada Owner');
  bob = await signIn('bob@example.com', 'Bob Editor');
  vic = await signIn('vic@example.com', 'Vic Viewer');
  workspaceId = (await ok(ada, 'POST', '/v1/workspaces', { name: 'Console' })).id;
  await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/members`, { email: bob.email, role: 'member' });
  await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/members`, { email: vic.email, role: 'member' });
  mkdirSync('docs/screenshots', { recursive: true });
}, 240_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => undefined);
  await browser?.close();
  server?.child.kill('SIGTERM');
  await server?.exited;
  await database?.drop();
  if (dist !== undefined) rmSync(dist, { recursive: true, force: true });
}, 60_000);

describe('the live dashboard page', () => {
  it('two people type into the same note at once: each sees the other’s text and named, coloured caret', async () => {
    const id = await newDashboard('Notes together');
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Plan', body: '' });
    const [a, b] = await Promise.all([open(ada, id), open(bob, id)]);
    for (const page of [a, b]) {
      await card(page, 'Plan').getByRole('button', { name: 'Edit' }).click();
      await card(page, 'Plan').locator('.cm-content').waitFor();
    }
    await Promise.all([a.keyboard.type('alpha from Ada. ', { delay: 15 }), b.keyboard.type('beta from Bob. ', { delay: 15 })]);
    for (const page of [a, b]) {
      const editor = card(page, 'Plan').locator('.cm-content');
      await expect.poll(() => editor.textContent(), { timeout: 15_000 }).toContain('alpha from Ada.');
      await expect.poll(() => editor.textContent(), { timeout: 15_000 }).toContain('beta from Bob.');
    }
    // Each sees the other's caret labelled with their name (from the server) in their colour.
    for (const [page, other] of [[a, bob], [b, ada]] as const) {
      const caret = card(page, 'Plan').locator('.cm-ySelectionCaret', { hasText: other.name });
      await caret.waitFor({ state: 'attached', timeout: 15_000 });
      expect(await caret.evaluate((el) => getComputedStyle(el).borderTopColor)).toBe(rgb(colorFor(other.id)));
      await expect.poll(() => page.getByTestId('presence-person').allTextContents(), { timeout: 10_000 }).toContainEqual(expect.stringContaining(other.name));
    }
    const stored = await ok(ada, 'GET', `/v1/dashboards/${id}/items`);
    expect(stored.items[0].body).toContain('alpha from Ada.');
    expect(stored.items[0].body).toContain('beta from Bob.');
    await a.screenshot({ path: 'docs/screenshots/dashboard.png', fullPage: true });
  }, 180_000);

  it('a viewer sees edits live but gets no way to change anything', async () => {
    const id = await newDashboard('Watched');
    const note = await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Status', body: 'first' });
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'todo', title: 'Ship it', assignee: bob.id });
    const v = await open(vic, id);
    await expect.poll(() => v.locator('main').getAttribute('data-access')).toBe('readonly');
    await v.getByText('first').waitFor();
    // Nothing to type into or press on the dashboard (the terminal button is disabled for everyone).
    const controls = v.locator('main.dashboard-page').locator('input:not([disabled]), textarea, select, [contenteditable="true"], button:not([disabled]), .drag-handle, .resize-handle');
    expect(await controls.count()).toBe(0);
    expect(await v.locator('main.dashboard-page input[type=checkbox]').isDisabled()).toBe(true);
    // Owner edits: the viewer sees it without reloading.
    await ok(ada, 'PATCH', `/v1/dashboards/${id}/items/${note.id}`, { body: 'second, **bold**' });
    await v.locator('.note-rendered strong', { hasText: 'bold' }).waitFor({ timeout: 15_000 });
    await v.screenshot({ path: 'docs/screenshots/dashboard-viewer.png', fullPage: true });
  }, 120_000);

  it('a layout change survives a reload and shows in the other browser', async () => {
    const id = await newDashboard('Layout');
    const item = await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Mover', body: 'drag me', layout: { x: 0, y: 0, w: 6, h: 4 } });
    const [a, b] = await Promise.all([open(ada, id), open(bob, id)]);
    const position = (page: Page) => card(page, 'Mover').evaluate((el) => `${(el as HTMLElement).style.getPropertyValue('--x')},${(el as HTMLElement).style.getPropertyValue('--y')}`);
    expect(await position(b)).toBe('0,0');
    // Drag by the handle: 3 cells right, 2 down (40 px cells).
    const handle = card(a, 'Mover').locator('.drag-handle');
    const box = await handle.boundingBox();
    if (box === null) throw new Error('no drag handle');
    await a.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await a.mouse.down();
    for (let step = 1; step <= 6; step++) await a.mouse.move(box.x + box.width / 2 + step * 20, box.y + box.height / 2 + (step * 80) / 6);
    await a.mouse.up();
    expect(await position(a)).toBe('3,2');
    await expect.poll(() => position(b), { timeout: 15_000 }).toBe('3,2');
    // The keyboard moves and resizes it too.
    await handle.focus();
    await a.keyboard.press('ArrowRight');
    await a.keyboard.press('Shift+ArrowDown');
    await expect.poll(() => position(b), { timeout: 15_000 }).toBe('4,2');
    await expect.poll(async () => (await ok(ada, 'GET', `/v1/dashboards/${id}/items`)).items[0].layout, { timeout: 15_000 }).toEqual({ x: 4, y: 2, w: 6, h: 5 });
    await b.reload();
    await card(b, 'Mover').waitFor();
    expect(await position(b)).toBe('4,2');
    expect(item.id).toBeTruthy();
  }, 120_000);

  it('an approval decided in one browser shows who approved in the other; a decision that does not apply shows why', async () => {
    const id = await newDashboard('Approvals');
    const recipe = await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml: 'name: gate\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship it?", quorum: 2 }\n' });
    const execution = await ok(ada, 'POST', `/v1/recipes/${recipe.id}/executions`, { dashboardId: id });
    const [a, b] = await Promise.all([open(ada, id), open(bob, id, { width: 375 })]);
    const approval = (page: Page) => page.locator(`[data-approval="${execution.id}:gate"]`);
    await approval(b).getByText('Ship it?').waitFor({ timeout: 30_000 });
    await approval(a).getByText('Ship it?').waitFor({ timeout: 30_000 });
    await b.screenshot({ path: 'docs/screenshots/dashboard-approval-narrow.png', fullPage: true });
    // Usable at 375 px: the buttons are on screen.
    const approve = approval(b).getByRole('button', { name: 'Approve' });
    const box = await approve.boundingBox();
    expect(box !== null && box.x >= 0 && box.x + box.width <= 375).toBe(true);
    await approval(b).getByLabel('Comment (optional)').fill('looks good');
    const clicked = Date.now();
    await approve.click();
    await approval(a).getByTestId('decision').filter({ hasText: `Approved by ${bob.name}` }).waitFor({ timeout: 15_000 });
    console.log(`approval by ${bob.name} shown in the other browser ${Date.now() - clicked} ms after the click`);
    expect(await approval(a).getByTestId('decision').textContent()).toContain('looks good');
    // Bob's second voice does not count: the API's 409 reason is shown.
    await approve.click();
    await expect.poll(() => approval(b).getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/\w/);
    console.log(`second approval refused with: ${await approval(b).getByRole('alert').textContent()}`);
    await approval(a).getByRole('button', { name: 'Approve' }).click();
    await approval(b).locator('.badge.status-approved').waitFor({ timeout: 15_000 });
    await b.locator(`[data-execution="${execution.id}"] .badge.status-succeeded`).first().waitFor({ timeout: 30_000 });
    expect(await b.locator(`[data-execution="${execution.id}"] a`).first().getAttribute('href')).toBe(`/executions/${execution.id}`);
    await a.screenshot({ path: 'docs/screenshots/dashboard-executions.png', fullPage: true });
  }, 180_000);

  it('a member removed while looking loses access, and the page says so', async () => {
    const id = await newDashboard('Revoked');
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Secret', body: 'for members' });
    const v = await open(vic, id, { dark: true });
    await v.getByText('for members').waitFor();
    await v.screenshot({ path: 'docs/screenshots/dashboard-dark.png', fullPage: true });
    const removed = Date.now();
    await ok(ada, 'DELETE', `/v1/dashboards/${id}/members/${vic.id}`);
    await v.getByRole('alert').filter({ hasText: 'You no longer have access to this dashboard' }).waitFor({ timeout: 15_000 });
    console.log(`access loss shown ${Date.now() - removed} ms after the removal`);
    expect(await v.getByText('for members').count()).toBe(0);
  }, 120_000);
});

/** `#rrggbb` as the `rgb(r, g, b)` computed styles report. */
function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}
