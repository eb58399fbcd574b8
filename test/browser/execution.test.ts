import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, screenshotDir, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

// Home, the execution page and the recipes page in real Chromium against the real server (which
// serves the console), with the local stand-in execution plane's scripted agents.
let app: Console;
let ada: ApiUser;
let workspaceId: string;
let dashboardId: string;
let recipeId: string;
let quickId: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers' shapes are what the assertions check
type Answer = any;

/** An API call as Ada (her token), whatever the status. */
async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Answer }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ada.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** An API call as Ada that must succeed. */
function ok(method: string, path: string, body?: unknown): Promise<Answer> {
  return ada.request<Answer>(method, path, body);
}

/** A fresh browser context signed in as Ada through the sign-in page, at `path`. */
async function open(path: string, options: { width?: number; dark?: boolean } = {}): Promise<Page> {
  const page = await app.newPage({ colorScheme: options.dark === true ? 'dark' : 'light' });
  if (options.width !== undefined) await page.setViewportSize({ width: options.width, height: 800 });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await signIn(page, 'ada@example.com', { name: 'Ada Lovelace', returnTo: path });
  return page;
}

/**
 * Serious and critical accessibility violations axe-core finds on the page (rule id and the
 * elements). axe is evaluated through the DevTools protocol, which the page's CSP does not govern.
 */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(readFileSync('node_modules/axe-core/axe.min.js', 'utf8'));
  const violations = await page.evaluate(async () => {
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
  return violations;
}

/** A whole-page screenshot for the README (`<screenshotDir>/<name>.png`). */
async function fullScreenshot(page: Page, name: string): Promise<void> {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true, animations: 'disabled' });
}

const status = (page: Page) => page.getByTestId('execution-status').textContent();
const step = (page: Page, id: string) => page.locator(`li.step[data-step="${id}"]`);

beforeAll(async () => {
  app = await startConsole();
  // Ada signs in once first, so the account carries her name; then a token acts as her.
  const first = await app.newPage();
  await signIn(first, 'ada@example.com', { name: 'Ada Lovelace', returnTo: '/welcome' });
  await first.context().close();
  ada = await apiAs(app, 'ada@example.com');
  workspaceId = (await ok('POST', '/v1/workspaces', { name: 'Releases' })).id;
  dashboardId = (await ok('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Release board' })).id;
  await ok('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' });
  // A scripted agent step (progress with a cost, an artifact) and then a person's approval.
  const yaml = `name: ship-it
inputs:
  title: { type: string, required: true }
  count: { type: number, default: 1 }
steps:
  - id: build
    kind: agent
    profile: coder
    prompt: "build \${inputs.title}"
    input:
      duration: 50
      progress: [{ message: "compiling", percent: 50, costUsd: 0.25 }]
      artifacts: [{ kind: report, title: "Build report", content: "all green" }]
      output: { built: true }
  - { id: gate, kind: approval, prompt: "Ship \${inputs.title}?" }
`;
  recipeId = (await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, { yaml })).id;
  quickId = (
    await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml: 'name: quick\nsteps:\n  - { id: gate, kind: approval, prompt: "go?" }\n',
    })
  ).id;
});

afterAll(async () => app?.stop());

/** A `quick` execution waiting at its approval (approved too when `approve`). */
async function quick(approve: boolean): Promise<string> {
  const { id } = await ok('POST', `/v1/recipes/${quickId}/executions`, { dashboardId });
  await expect.poll(async () => (await ok('GET', `/v1/executions/${id}`)).status, { timeout: 15_000 }).toBe('waiting');
  if (approve) expect((await ok('POST', `/v1/executions/${id}/steps/gate/approve`, {})).status).toBe('succeeded');
  return id;
}

describe('recipes, home and the execution page', () => {
  it(
    'a recipe started from the console runs to its approval, ' +
      'shows in Needs you, is approved on its page and finishes',
    async () => {
      const page = await open(`/recipes?workspace=${workspaceId}`);
      await page.getByRole('button', { name: 'Run ship-it' }).waitFor();
      expect(await seriousViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Run ship-it' }).click();
      const dialog = page.getByRole('dialog', { name: /Run “ship-it”/ });
      await dialog.waitFor();
      expect(await dialog.getByLabel(/^title/).getAttribute('aria-required')).toBe('true');
      // Started without the required input: the server's issue shows at that field.
      await dialog.getByRole('button', { name: 'Start' }).click();
      await expect
        .poll(() => dialog.locator('[data-field="inputs.title"] .field-error').textContent(), { timeout: 15_000 })
        .toContain('is required');
      expect(await seriousViolations(page)).toEqual([]);
      await dialog.getByLabel(/^title/).fill('v1.2');
      await dialog.getByLabel(/^count/).fill('3');
      await dialog.getByRole('button', { name: 'Start' }).click();
      await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/, { timeout: 15_000 });
      const executionId = page.url().split('/').at(-1) ?? '';
      const started = await ok('GET', `/v1/executions/${executionId}`);
      expect(started).toMatchObject({ dashboardId, recipeId, inputs: { title: 'v1.2', count: 3 } });

      // The page follows it (the dashboard's state document says when) to the approval.
      await expect.poll(() => status(page), { timeout: 30_000 }).toBe('waiting');
      await expect.poll(() => step(page, 'gate').getAttribute('data-status'), { timeout: 15_000 }).toBe('waiting');
      await expect.poll(() => step(page, 'build').getAttribute('data-status'), { timeout: 15_000 }).toBe('succeeded');

      // Home: it waits for Ada in "Needs you", linking to the execution.
      const home = await open(`/?workspace=${workspaceId}`);
      const inbox = home.locator('section.inbox');
      await expect.poll(() => home.getByTestId('approvals-count').textContent(), { timeout: 15_000 }).toBe('1');
      const waiting = inbox.locator(`li[data-execution="${executionId}"] a`);
      expect(await waiting.textContent()).toContain('Ship v1.2?');
      expect(await seriousViolations(home)).toEqual([]);
      await fullScreenshot(home, 'home');
      await waiting.click();
      await home.waitForURL((url) => url.pathname === `/executions/${executionId}`);

      // Approve there: it finishes, and the page shows the decision, history, artifact and cost.
      await step(home, 'gate').getByLabel('Comment').fill('ship it');
      await step(home, 'gate').getByRole('button', { name: 'Approve' }).click();
      await expect.poll(() => status(home), { timeout: 30_000 }).toBe('succeeded');
      await expect
        .poll(() => step(home, 'gate').locator('.decisions').textContent(), { timeout: 15_000 })
        .toContain('Approved by Ada Lovelace');
      expect(await step(home, 'gate').locator('.decisions').textContent()).toContain('ship it');
      await expect
        .poll(() => home.locator('.timeline li[data-type="approval.decided"]').count(), { timeout: 15_000 })
        .toBe(1);
      expect(await home.locator('.artifact h3').first().textContent()).toContain('Build report');
      await home.getByRole('button', { name: 'Show whole content' }).click();
      await home.locator('.artifact pre', { hasText: 'all green' }).waitFor({ timeout: 15_000 });
      expect(await home.getByTestId('total-cost').textContent()).toContain('$0.25');
      expect(await seriousViolations(home)).toEqual([]);
      await fullScreenshot(home, 'execution');
      // And it left Ada's inbox.
      expect((await ok('GET', '/v1/me/inbox')).counts.approvals).toBe(0);
    },
  );

  it('an intervention that does not apply shows the server’s 409 reason', async () => {
    const executionId = await quick(false);
    const page = await open(`/executions/${executionId}`);
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('waiting');
    const expected = await call('POST', `/v1/executions/${executionId}/resume`, {});
    expect(expected.status).toBe(409);
    await page.getByRole('button', { name: 'Resume' }).click();
    const note = page.locator('section[aria-labelledby="actions-heading"] [data-outcome]');
    await expect.poll(() => note.getAttribute('data-outcome'), { timeout: 15_000 }).toBe('refused');
    expect(await note.textContent()).toContain(expected.body.error.message);
    expect(await note.getAttribute('role')).toBe('alert');

    // Move to a newer version, then cancel with a reason: both through the page, both recorded.
    await ok('PUT', `/v1/recipes/${quickId}`, {
      yaml: 'name: quick\nsteps:\n  - { id: gate, kind: approval, prompt: "go now?" }\n',
    });
    const actions = page.locator('section[aria-labelledby="actions-heading"]');
    await actions.getByLabel('Move to version').fill('2');
    await actions.getByRole('button', { name: 'Move', exact: true }).click();
    await expect.poll(() => note.getAttribute('data-outcome'), { timeout: 15_000 }).toBe('ok');
    await expect
      .poll(async () => (await ok('GET', `/v1/executions/${executionId}`)).recipeVersion, { timeout: 15_000 })
      .toBe(2);
    await actions.getByLabel('Reason (optional)').fill('not needed any more');
    await actions.getByRole('button', { name: 'Cancel execution' }).click();
    await expect.poll(() => status(page), { timeout: 15_000 }).toBe('cancelled');
    await page.getByText('not needed any more').first().waitFor({ timeout: 15_000 });
  });

  it('the recent executions’ filters live in the URL and survive a reload', async () => {
    // One finished and one waiting, so the "succeeded" filter has something to leave out.
    const executionId = await quick(true);
    const other = await quick(false);
    const page = await open(`/?workspace=${workspaceId}`, { width: 375, dark: true });
    const rows = page.locator('table.executions tbody tr');
    await expect
      .poll(() => page.locator(`table.executions tr[data-execution="${other}"]`).count(), { timeout: 15_000 })
      .toBe(1);
    // Controlled by the URL: the box shows checked once the navigation that wrote the filter landed.
    await page.getByRole('checkbox', { name: 'succeeded' }).click();
    await expect.poll(() => page.getByRole('checkbox', { name: 'succeeded' }).isChecked()).toBe(true);
    await page.getByLabel('Recipe').selectOption({ label: 'quick' });
    await expect.poll(() => new URL(page.url()).searchParams.get('status')).toBe('succeeded');
    await expect.poll(() => new URL(page.url()).searchParams.get('recipe')).toBe(quickId);
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect(await rows.first().getAttribute('data-execution')).toBe(executionId);

    await page.reload();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(1);
    expect(await rows.first().getAttribute('data-execution')).toBe(executionId);
    expect(await page.getByRole('checkbox', { name: 'succeeded' }).isChecked()).toBe(true);
    // (The recipe's option appears once the workspace's recipes are read.)
    await expect.poll(() => page.getByLabel('Recipe').inputValue(), { timeout: 15_000 }).toBe(quickId);
    expect(other).not.toBe(executionId);
    // The inbox fits a phone's width: nothing wider than the viewport.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await seriousViolations(page)).toEqual([]);
    await fullScreenshot(page, 'home-narrow-dark');
  });

  it(
    'the execution page follows the execution live (the ' + "dashboard's state document), without focus or reload",
    async () => {
      const executionId = await quick(false);
      const page = await open(`/executions/${executionId}`);
      await expect.poll(() => status(page), { timeout: 15_000 }).toBe('waiting');
      // Past the page's few re-reads after it loaded (at most 10 s): from here only the live document
      // can tell it that something happened.
      await page.waitForTimeout(11_000);
      // Reading an execution does not make Ada someone on its dashboard (presence, which also keeps a
      // terminal's sandbox awake), though the page is connected to the dashboard's state document.
      expect((await ok('GET', `/v1/dashboards/${dashboardId}/presence`)).viewers).toEqual([]);
      const decidedAt = Date.now();
      await ok('POST', `/v1/executions/${executionId}/steps/gate/approve`, { comment: 'from elsewhere' });
      await expect.poll(() => status(page), { timeout: 15_000 }).toBe('succeeded');
      await expect
        .poll(() => page.locator('.timeline li[data-type="approval.decided"]').count(), { timeout: 15_000 })
        .toBe(1);
      console.log(`execution page showed the approval ${Date.now() - decidedAt} ms after it was made`);
    },
  );

  it('home creates, archives and restores dashboards, and pages through executions with More', async () => {
    const page = await open(`/?workspace=${workspaceId}`);
    const dashboards = page.locator('section[aria-labelledby="dashboards-heading"]');
    await dashboards.getByLabel('New dashboard').fill('Scratch board');
    await dashboards.getByRole('button', { name: 'Create' }).click();
    const card = dashboards.locator('li', { has: page.getByRole('link', { name: 'Scratch board' }) });
    await card.waitFor({ timeout: 15_000 });
    const created = (await ok('GET', `/v1/workspaces/${workspaceId}/dashboards`)).dashboards.find(
      (d: { name: string }) => d.name === 'Scratch board',
    );
    expect(created.archivedAt).toBeNull();
    await card.getByRole('button', { name: 'Archive Scratch board' }).click();
    await card.waitFor({ state: 'detached', timeout: 15_000 });
    expect((await ok('GET', `/v1/dashboards/${created.id}`)).archivedAt).not.toBeNull();
    await dashboards.getByLabel(/Show archived/).check();
    await card.getByRole('button', { name: 'Restore Scratch board' }).click();
    await card.getByRole('button', { name: 'Archive Scratch board' }).waitFor({ timeout: 15_000 });
    expect((await ok('GET', `/v1/dashboards/${created.id}`)).archivedAt).toBeNull();
    expect(await card.getByRole('link', { name: 'Scratch board' }).getAttribute('href')).toBe(
      `/dashboards/${created.id}`,
    );

    // More than a page (25) of executions of one recipe: "More" appends the next page.
    const paged = (
      await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: paged\nsteps:\n  - { id: gate, kind: approval, prompt: "go?" }\n',
      })
    ).id;
    for (let i = 0; i < 27; i++) await ok('POST', `/v1/recipes/${paged}/executions`, { dashboardId });
    await page.goto(`/?workspace=${workspaceId}&recipe=${paged}`);
    const rows = page.locator('table.executions tbody tr');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(25);
    await page.getByRole('button', { name: 'More' }).click();
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(27);
    expect(await page.getByRole('button', { name: 'More' }).count()).toBe(0);
  });

  it(
    'a failed run shows in Needs you; its step is retried on ' +
      'the execution page; a sub-recipe links child and parent',
    async () => {
      // A parent whose first step fails once (the retry succeeds) and whose second runs `quick` as a child.
      const parent = (
        await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
          yaml: `name: parent
steps:
  - { id: flaky, kind: agent, profile: coder, prompt: go, input: { failAttempts: 1 } }
  - { id: sub, kind: recipe, recipe: ${quickId} }
`,
        })
      ).id;
      const { id } = await ok('POST', `/v1/recipes/${parent}/executions`, { dashboardId });
      await expect
        .poll(async () => (await ok('GET', `/v1/executions/${id}`)).status, { timeout: 30_000 })
        .toBe('failed');
      const page = await open(`/?workspace=${workspaceId}`);
      const failed = page.locator(`section.inbox li[data-execution="${id}"] a`);
      await failed.waitFor({ timeout: 15_000 });
      expect(await failed.textContent()).toContain('failed at “flaky”');
      expect(Number(await page.getByTestId('failed-count').textContent())).toBeGreaterThanOrEqual(1);
      await failed.click();
      await page.waitForURL((url) => url.pathname === `/executions/${id}`);
      await expect
        .poll(() => step(page, 'flaky').locator('.step-error').textContent(), { timeout: 15_000 })
        .toContain('scripted failure');
      await step(page, 'flaky').getByText('More actions on “flaky”').click();
      await step(page, 'flaky').getByRole('button', { name: 'Retry step' }).click();
      // The retry succeeds and the child starts: the parent waits on it, and links to it.
      const child = step(page, 'sub').getByRole('link', { name: /^[0-9a-f-]{36}$/ });
      await child.waitFor({ timeout: 30_000 });
      const childId = (await child.textContent()) ?? '';
      expect((await ok('GET', `/v1/executions/${id}`)).steps.sub.childExecutionId).toBe(childId);
      await child.click();
      await page.waitForURL((url) => url.pathname === `/executions/${childId}`);
      await page.getByRole('link', { name: 'parent execution' }).click();
      await page.waitForURL((url) => url.pathname === `/executions/${id}`);
    },
  );

  it("/recipes hides archived recipes until asked, and shows each recipe's versions", async () => {
    const kept = (
      await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: versioned\nsteps:\n  - { id: gate, kind: approval, prompt: "one?" }\n',
      })
    ).id;
    await ok('PUT', `/v1/recipes/${kept}`, {
      yaml: 'name: versioned\nsteps:\n  - { id: gate, kind: approval, prompt: "two?" }\n',
    });
    const old = (
      await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
        yaml: 'name: retired\nsteps:\n  - { id: gate, kind: approval, prompt: "old?" }\n',
      })
    ).id;
    await ok('POST', `/v1/recipes/${old}/archive`, {});
    const page = await open(`/recipes?workspace=${workspaceId}`);
    const item = (id: string) => page.locator(`li[data-recipe="${id}"]`);
    await item(kept).waitFor({ timeout: 15_000 });
    expect(await item(old).count()).toBe(0);
    await page.getByLabel('Show archived recipes').check();
    await item(old).waitFor({ timeout: 15_000 });
    expect(await item(old).textContent()).toContain('archived');
    expect(await item(old).getByRole('button', { name: /^Run/ }).count()).toBe(0);
    // Versions, newest first, each with its source.
    await item(kept).getByText('Versions').click();
    const versions = item(kept).locator('ol li summary');
    await expect
      .poll(() => versions.allTextContents(), { timeout: 15_000 })
      .toEqual([expect.stringMatching(/^v2 /), expect.stringMatching(/^v1 /)]);
    await versions.first().click();
    expect(await item(kept).locator('ol li pre').first().textContent()).toContain('two?');
  });

  it(
    'pause, resume, skip a step before it is reached, edit a ' +
      "pending step's input and send an event, all from the page",
    async () => {
      const evented = (
        await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
          yaml: `name: evented
steps:
  - { id: hold, kind: wait, event: { name: go } }
  - { id: work, kind: agent, profile: coder, prompt: go, input: { duration: 10 } }
  - { id: later, kind: agent, profile: coder, prompt: go, input: { duration: 10, output: { from: original } } }
`,
        })
      ).id;
      const { id } = await ok('POST', `/v1/recipes/${evented}/executions`, { dashboardId });
      const page = await open(`/executions/${id}`);
      await expect.poll(() => status(page), { timeout: 15_000 }).toBe('waiting');
      const actions = page.locator('section[aria-labelledby="actions-heading"]');
      const outcome = actions.locator('[data-outcome]');
      await actions.getByRole('button', { name: 'Pause' }).click();
      await expect.poll(() => status(page), { timeout: 15_000 }).toBe('paused');
      await actions.getByRole('button', { name: 'Resume' }).click();
      await expect.poll(() => status(page), { timeout: 15_000 }).toBe('waiting');
      expect(await outcome.getAttribute('data-outcome')).toBe('ok');

      // Steps not reached yet are listed from the recipe and can be acted on.
      await expect.poll(() => step(page, 'work').getAttribute('data-status'), { timeout: 15_000 }).toBe('not-reached');
      await step(page, 'work').getByText('More actions on “work”').click();
      await step(page, 'work').getByLabel('Output to skip with (JSON, optional)').fill('{"skipped": true}');
      await step(page, 'work').getByRole('button', { name: 'Skip step' }).click();
      await expect
        .poll(() => step(page, 'work').locator('[data-outcome]').getAttribute('data-outcome'), { timeout: 15_000 })
        .toBe('ok');
      // The step turns skipped on the page, and what was done stays shown next to it.
      await expect.poll(() => step(page, 'work').getAttribute('data-status'), { timeout: 15_000 }).toBe('skipped');
      expect(await step(page, 'work').locator('[data-outcome]').textContent()).toContain('Skip "work": done');
      await step(page, 'later').getByText('More actions on “later”').click();
      await step(page, 'later')
        .getByLabel('New input (JSON object)')
        .fill('{"duration": 10, "output": {"from": "edited"}}');
      await step(page, 'later').getByRole('button', { name: 'Replace input' }).click();
      await expect
        .poll(() => step(page, 'later').locator('[data-outcome]').getAttribute('data-outcome'), { timeout: 15_000 })
        .toBe('ok');

      await actions.getByLabel('Event name').fill('go');
      await actions.getByLabel('Payload (JSON, optional)').fill('{"by": "console"}');
      await actions.getByRole('button', { name: 'Send event' }).click();
      await expect.poll(() => status(page), { timeout: 30_000 }).toBe('succeeded');
      const done = await ok('GET', `/v1/executions/${id}`);
      expect(done.steps.work).toMatchObject({ status: 'skipped', output: { skipped: true } });
      expect(done.steps.later.output).toMatchObject({ from: 'edited' });
      const types = await page
        .locator('.timeline li')
        .evaluateAll((items) => items.map((li) => li.getAttribute('data-type')));
      expect(types).toEqual(
        expect.arrayContaining([
          'execution.paused',
          'execution.resumed',
          'step.skipped',
          'step.input_edited',
          'event.received',
        ]),
      );
    },
  );
});
