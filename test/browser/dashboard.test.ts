import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { colorFor } from '../../web/src/dashboard/colors.ts';
import { apiAs, screenshot, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

/**
 * The live dashboard page in real Chromium against the real server (test/browser/support): people
 * in separate browser contexts (separate cookies), signed in through the development identity
 * provider's form; what a test arranges (dashboards, members, items, recipes) goes through the API.
 */
let baton: Console;

interface Person {
  readonly name: string;
  readonly email: string;
  readonly id: string;
  readonly api: ApiUser;
  /** A browser context signed in as this person. */
  readonly context: BrowserContext;
}

let ada: Person; // owner
let bob: Person; // editor
let vic: Person; // viewer
let workspaceId: string;

async function person(email: string, name: string): Promise<Person> {
  const api = await apiAs(baton, email);
  const page = await baton.newPage();
  await signIn(page, email, { name });
  const context = page.context();
  await page.close();
  return { name, email, id: api.userId, api, context };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by the assertions that read them
const ok = (who: Person, method: string, path: string, body?: unknown): Promise<any> =>
  who.api.request(method, path, body);

/** A dashboard owned by Ada, Bob editing and Vic viewing. */
async function newDashboard(name: string): Promise<string> {
  const dashboard = await ada.api.createDashboard(workspaceId, name);
  await ok(ada, 'PUT', `/v1/dashboards/${dashboard.id}/members/${bob.id}`, { role: 'editor' });
  await ok(ada, 'PUT', `/v1/dashboards/${dashboard.id}/members/${vic.id}`, { role: 'viewer' });
  return dashboard.id;
}

/** A page of `who`'s signed-in context on the dashboard, once admitted to it. */
async function open(who: Person, dashboardId: string, options: { width?: number; dark?: boolean } = {}): Promise<Page> {
  const page = await who.context.newPage();
  await page.setViewportSize({ width: options.width ?? 1280, height: 900 });
  await page.emulateMedia({ colorScheme: options.dark === true ? 'dark' : 'light' });
  page.on('pageerror', (error) => console.error(`[${who.name}] page error:`, error.message));
  await page.goto(`/dashboards/${dashboardId}`);
  try {
    await page
      .locator('main.dashboard-page[data-access="read-write"], main.dashboard-page[data-access="readonly"]')
      .waitFor({ timeout: 30_000 });
  } catch (error) {
    console.error(
      `[${who.name}] the page never got admitted: ${page.url()}\n` +
        `${(await page.locator('body').innerText()).slice(0, 2000)}`,
    );
    throw error;
  }
  return page;
}

/** A note on the page by its title. */
const card = (page: Page, title: string) => page.locator(`article.board-item[aria-label="note: ${title}"]`);

beforeAll(async () => {
  baton = await startConsole();
  ada = await person('ada@example.com', 'Ada Owner');
  bob = await person('bob@example.com', 'Bob Editor');
  vic = await person('vic@example.com', 'Vic Viewer');
  workspaceId = (await ada.api.createWorkspace('Console')).id;
  await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/members`, { email: bob.email, role: 'member' });
  await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/members`, { email: vic.email, role: 'member' });
});

afterAll(async () => {
  await baton?.stop();
});

describe('the live dashboard page', () => {
  it('two people type into the same note at once: each sees the other’s text and named, coloured caret', async () => {
    const id = await newDashboard('Notes together');
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Plan', body: '' });
    const [a, b] = await Promise.all([open(ada, id), open(bob, id)]);
    // The editor is not in the page's initial JavaScript: it is fetched when someone edits.
    const editorChunks: string[] = [];
    a.on('request', (request) => {
      if (/\/assets\/note-editor-[^/]+\.js$/.test(request.url())) editorChunks.push(request.url());
    });
    await card(a, 'Plan').waitFor();
    expect(editorChunks).toEqual([]);
    for (const page of [a, b]) {
      await card(page, 'Plan').getByRole('button', { name: 'Edit' }).click();
      await card(page, 'Plan').locator('.cm-content').waitFor();
    }
    await Promise.all([
      a.keyboard.type('alpha from Ada. ', { delay: 15 }),
      b.keyboard.type('beta from Bob. ', { delay: 15 }),
    ]);
    expect(editorChunks).toHaveLength(1);
    for (const page of [a, b]) {
      const editor = card(page, 'Plan').locator('.cm-content');
      await expect.poll(() => editor.textContent(), { timeout: 15_000 }).toContain('alpha from Ada.');
      await expect.poll(() => editor.textContent(), { timeout: 15_000 }).toContain('beta from Bob.');
    }
    // Each sees the other's caret labelled with their name (from the server) in their colour.
    for (const [page, other] of [
      [a, bob],
      [b, ada],
    ] as const) {
      const caret = card(page, 'Plan').locator('.cm-ySelectionCaret', { hasText: other.name });
      await caret.waitFor({ state: 'attached', timeout: 15_000 });
      expect(await caret.evaluate((el) => getComputedStyle(el).borderTopColor)).toBe(rgb(colorFor(other.id)));
      // Presence: who is here, and what they are on (their awareness `focus`).
      await expect
        .poll(() => page.getByTestId('presence-person').allTextContents(), { timeout: 10_000 })
        .toContainEqual(`${other.name} — on Plan`);
    }
    const stored = await ok(ada, 'GET', `/v1/dashboards/${id}/items`);
    expect(stored.items[0].body).toContain('alpha from Ada.');
    expect(stored.items[0].body).toContain('beta from Bob.');
    await screenshot(a, 'dashboard');
  });

  it('a viewer sees edits live but gets no way to change anything', async () => {
    const id = await newDashboard('Watched');
    const note = await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Status', body: 'first' });
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'todo', title: 'Ship it', assignee: bob.id });
    const v = await open(vic, id);
    await expect.poll(() => v.locator('main').getAttribute('data-access')).toBe('readonly');
    await v.getByText('first').waitFor();
    // Nothing to type into or press on the dashboard (the terminal button is disabled for viewers).
    const controls = v
      .locator('main.dashboard-page')
      .locator(
        'input:not([disabled]), textarea, select, [contenteditable="true"], ' +
          'button:not([disabled]), .drag-handle, .resize-handle',
      );
    expect(await controls.count()).toBe(0);
    expect(await v.locator('main.dashboard-page input[type=checkbox]').isDisabled()).toBe(true);
    // Owner edits: the viewer sees it without reloading.
    await ok(ada, 'PATCH', `/v1/dashboards/${id}/items/${note.id}`, { body: 'second, **bold**' });
    await v.locator('.note-rendered strong', { hasText: 'bold' }).waitFor({ timeout: 15_000 });
    await screenshot(v, 'dashboard-viewer');
  });

  it('a layout change survives a reload and shows in the other browser', async () => {
    const id = await newDashboard('Layout');
    const item = await ok(ada, 'POST', `/v1/dashboards/${id}/items`, {
      kind: 'note',
      title: 'Mover',
      body: 'drag me',
      layout: { x: 0, y: 0, w: 6, h: 4 },
    });
    const [a, b] = await Promise.all([open(ada, id), open(bob, id)]);
    const position = (page: Page) =>
      card(page, 'Mover').evaluate(
        (el) =>
          `${(el as HTMLElement).style.getPropertyValue('--x')},${(el as HTMLElement).style.getPropertyValue('--y')}`,
      );
    expect(await position(b)).toBe('0,0');
    // Drag by the handle: 3 cells right, 2 down (40 px cells).
    const handle = card(a, 'Mover').locator('.drag-handle');
    const box = await handle.boundingBox();
    if (box === null) throw new Error('no drag handle');
    await a.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await a.mouse.down();
    for (let step = 1; step <= 6; step++)
      await a.mouse.move(box.x + box.width / 2 + step * 20, box.y + box.height / 2 + (step * 80) / 6);
    await a.mouse.up();
    expect(await position(a)).toBe('3,2');
    await expect.poll(() => position(b), { timeout: 15_000 }).toBe('3,2');
    // The keyboard moves and resizes it too.
    await handle.focus();
    await a.keyboard.press('ArrowRight');
    await a.keyboard.press('Shift+ArrowDown');
    await expect.poll(() => position(b), { timeout: 15_000 }).toBe('4,2');
    await expect
      .poll(async () => (await ok(ada, 'GET', `/v1/dashboards/${id}/items`)).items[0].layout, { timeout: 15_000 })
      .toEqual({ x: 4, y: 2, w: 6, h: 5 });
    await b.reload();
    await card(b, 'Mover').waitFor();
    expect(await position(b)).toBe('4,2');
    expect(item.id).toBeTruthy();
  });

  it(
    'an approval decided in one browser shows who approved ' + 'in the other; a decision that does not apply shows why',
    async () => {
      const id = await newDashboard('Approvals');
      const recipe = await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: gate\nsteps:\n  - { id: gate, kind: approval, prompt: "Ship it?", quorum: 2 }\n',
      });
      const execution = await ok(ada, 'POST', `/v1/recipes/${recipe.id}/executions`, { dashboardId: id });
      const [a, b] = await Promise.all([open(ada, id), open(bob, id, { width: 375 })]);
      const approval = (page: Page) => page.locator(`[data-approval="${execution.id}:gate"]`);
      await approval(b).getByText('Ship it?').waitFor({ timeout: 30_000 });
      await approval(a).getByText('Ship it?').waitFor({ timeout: 30_000 });
      await screenshot(b, 'dashboard-approval-narrow');
      // Usable at 375 px: the buttons are on screen.
      const approve = approval(b).getByRole('button', { name: 'Approve' });
      const box = await approve.boundingBox();
      expect(box !== null && box.x >= 0 && box.x + box.width <= 375).toBe(true);
      await approval(b).getByLabel('Comment (optional)').fill('looks good');
      const clicked = Date.now();
      await approve.click();
      await approval(a)
        .getByTestId('decision')
        .filter({ hasText: `Approved by ${bob.name}` })
        .waitFor({ timeout: 15_000 });
      console.log(`approval by ${bob.name} shown in the other browser ${Date.now() - clicked} ms after the click`);
      expect(await approval(a).getByTestId('decision').textContent()).toContain('looks good');
      // Bob's second voice does not count: the API's 409 reason is shown.
      await approve.click();
      await expect.poll(() => approval(b).getByRole('alert').textContent(), { timeout: 15_000 }).toMatch(/\w/);
      console.log(`second approval refused with: ${await approval(b).getByRole('alert').textContent()}`);
      await approval(a).getByRole('button', { name: 'Approve' }).click();
      await approval(b).locator('.badge.status-approved').waitFor({ timeout: 15_000 });
      await b
        .locator(`[data-execution="${execution.id}"] .badge.status-succeeded`)
        .first()
        .waitFor({ timeout: 30_000 });
      expect(await b.locator(`[data-execution="${execution.id}"] a`).first().getAttribute('href')).toBe(
        `/executions/${execution.id}`,
      );
      await screenshot(a, 'dashboard-executions');
    },
  );

  it('a member removed while looking loses access, and the page says so', async () => {
    const id = await newDashboard('Revoked');
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Secret', body: 'for members' });
    const v = await open(vic, id, { dark: true });
    await v.getByText('for members').waitFor();
    await screenshot(v, 'dashboard-dark');
    const removed = Date.now();
    await ok(ada, 'DELETE', `/v1/dashboards/${id}/members/${vic.id}`);
    await v
      .getByRole('alert')
      .filter({ hasText: 'You no longer have access to this dashboard' })
      .waitFor({ timeout: 15_000 });
    console.log(`access loss shown ${Date.now() - removed} ms after the removal`);
    expect(await v.getByText('for members').count()).toBe(0);
  });

  it(
    'creates a todo and a link, sets done and assignee, ' + 'and deletes: the other browser follows each change',
    async () => {
      const id = await newDashboard('Items');
      const [a, b] = await Promise.all([open(ada, id), open(bob, id)]);
      const form = a.getByRole('form', { name: 'Add an item' });
      await form.getByLabel('Kind').selectOption('todo');
      await form.getByLabel('Title').fill('Write the changelog');
      await form.getByRole('button', { name: 'Add todo' }).click();
      const todo = (page: Page) => page.locator('article.board-item[aria-label="todo: Write the changelog"]');
      await todo(b).waitFor({ timeout: 15_000 });
      await todo(b).getByLabel('Done').check();
      await todo(b).getByLabel('Assignee').selectOption({ label: 'Ada Owner' });
      await expect.poll(() => todo(a).getByLabel('Done').isChecked(), { timeout: 15_000 }).toBe(true);
      await expect.poll(() => todo(a).getByLabel('Assignee').inputValue(), { timeout: 15_000 }).toBe(ada.id);
      // A link must be http(s): a javascript: address is refused in the form.
      await form.getByLabel('Kind').selectOption('link');
      await form.getByLabel('Title').fill('Spec');
      await form.getByLabel('Address').fill('javascript:alert(1)');
      await form.getByRole('button', { name: 'Add link' }).click();
      await form.getByRole('alert').filter({ hasText: 'http(s)' }).waitFor();
      await form.getByLabel('Address').fill('https://example.com/spec');
      await form.getByRole('button', { name: 'Add link' }).click();
      await b
        .locator('article.board-item[aria-label="link: Spec"] a[href="https://example.com/spec"]')
        .waitFor({ timeout: 15_000 });
      const items = (await ok(ada, 'GET', `/v1/dashboards/${id}/items`)).items as Array<{
        kind: string;
        title: string;
        done?: boolean;
        assignee?: string | null;
        author: string;
      }>;
      expect(items.find((i) => i.kind === 'todo')).toMatchObject({
        title: 'Write the changelog',
        done: true,
        assignee: ada.id,
        author: ada.id,
      });
      b.once('dialog', (dialog) => void dialog.accept());
      await todo(b).getByRole('button', { name: 'Delete Write the changelog' }).click();
      await todo(a).waitFor({ state: 'detached', timeout: 15_000 });
      expect((await ok(ada, 'GET', `/v1/dashboards/${id}/items`)).items.map((i: { title: string }) => i.title)).toEqual(
        ['Spec'],
      );
    },
  );

  it(
    'shows each step’s status, attempt, progress and artifacts, ' +
      'and the sessions, as the server mirrors them (a viewer too)',
    async () => {
      const id = await newDashboard('Runs');
      await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' });
      const yaml = `name: build-and-ship
steps:
  - id: build
    kind: agent
    profile: coder
    prompt: "build it"
    input:
      duration: 50
      progress: [{ message: "compiling", percent: 50 }]
      artifacts: [{ kind: report, title: "Build report", content: "all green" }]
      output: { built: true }
  - { id: gate, kind: approval, prompt: "Ship the build?" }
`;
      const recipe = await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml });
      const v = await open(vic, id);
      // Started while the page is open: what it shows arrives live.
      const execution = await ok(ada, 'POST', `/v1/recipes/${recipe.id}/executions`, { dashboardId: id });
      const row = (step: string) => v.locator(`[data-execution="${execution.id}"] tr[data-step="${step}"]`);
      await row('build').locator('.badge.status-succeeded').waitFor({ timeout: 60_000 });
      expect(await row('build').locator('td').nth(1).textContent()).toBe('1');
      await row('build').locator('.progress', { hasText: 'compiling' }).waitFor({ timeout: 15_000 });
      expect(await row('build').locator('progress').getAttribute('value')).toBe('50');
      await row('build').locator('.artifacts', { hasText: 'Build report' }).waitFor({ timeout: 15_000 });
      await row('build').getByText('Preview').click();
      await row('build').locator('pre', { hasText: 'all green' }).waitFor();
      await row('gate').locator('.badge.status-waiting').waitFor({ timeout: 15_000 });
      await v.getByText('Ship the build?').waitFor();
      expect(await v.getByRole('button', { name: 'Approve' }).count()).toBe(0);
      const session = v.locator('.sessions-panel li[data-session]').first();
      await session.waitFor({ timeout: 30_000 });
      expect(await session.locator('.badge').textContent()).toMatch(/\w/);
      // Opening a terminal needs control: a viewer's Terminal button is disabled
      // (test/browser/terminal.test.ts opens one).
      expect(await v.locator('.sessions-panel').getByRole('button', { name: 'Terminal' }).isDisabled()).toBe(true);
      expect(await v.locator(`[data-execution="${execution.id}"] a`).first().getAttribute('href')).toBe(
        `/executions/${execution.id}`,
      );
      await screenshot(v, 'dashboard-runs');
    },
  );

  it('renders a note’s markdown without letting it run script', async () => {
    const id = await newDashboard('Hostile');
    const body = [
      '# Heading',
      '[safe](https://example.com) [bad](javascript:window.pwned=1) ' +
        '[data](data:text/html,<script>window.pwned=1</script>)',
      '<img src="x" onerror="window.pwned=1">',
      '<script>window.pwned=1</script>',
      '<a href="jAvAsCrIpT:window.pwned=1">mixed case</a>',
    ].join('\n\n');
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'note', title: 'Hostile', body });
    const page = await open(bob, id);
    const rendered = card(page, 'Hostile').locator('.note-rendered');
    await rendered.locator('h1', { hasText: 'Heading' }).waitFor();
    expect(await rendered.locator('a[href="https://example.com/"], a[href="https://example.com"]').count()).toBe(1);
    const hrefs = await rendered.locator('a').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
    expect(hrefs.filter((href) => href !== null && !/^https:/.test(href))).toEqual([]);
    expect(await rendered.locator('script, [onerror]').count()).toBe(0);
    for (const name of ['bad', 'data', 'mixed case']) {
      const link = rendered.getByText(name);
      if ((await link.count()) > 0) await link.click();
    }
    await page.waitForTimeout(500);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  });

  it('has no serious or critical accessibility violations (axe-core), for an editor and a viewer', async () => {
    const id = await newDashboard('Accessible');
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, {
      kind: 'note',
      title: 'Readme',
      body: 'Some *notes* and a [link](https://example.com).',
    });
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, { kind: 'todo', title: 'Review', assignee: bob.id });
    await ok(ada, 'POST', `/v1/dashboards/${id}/items`, {
      kind: 'link',
      title: 'Docs',
      url: 'https://example.com/docs',
    });
    const recipe = await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml: 'name: gate-a11y\nsteps:\n  - { id: gate, kind: approval, prompt: "Go?" }\n',
    });
    await ok(ada, 'POST', `/v1/recipes/${recipe.id}/executions`, { dashboardId: id });
    for (const [who, dark] of [
      [bob, false],
      [vic, true],
    ] as const) {
      const page = await open(who, id, { dark });
      await page.getByText('Go?').waitFor({ timeout: 30_000 });
      await card(page, 'Readme').waitFor();
      expect(await seriousViolations(page), `${who.name}${dark ? ' (dark)' : ''}`).toEqual([]);
    }
  });
});

/**
 * Serious and critical accessibility violations axe-core finds (rule id and elements). axe is
 * evaluated through the DevTools protocol, which the page's CSP does not govern.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(readFileSync('node_modules/axe-core/axe.min.js', 'utf8'));
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
          ): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown[] }> }> }>;
        };
      }
    ).axe;
    return (await axe.run(document)).violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`);
  });
}

/** `#rrggbb` as the `rgb(r, g, b)` computed styles report. */
function rgb(hex: string): string {
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}
