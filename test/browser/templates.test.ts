import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, axeViolations, screenshot, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

// /templates and publishing a recipe as a template, in real Chromium against the real server.
let app: Console;
let ada: ApiUser;
let workspaceId: string;
let dashboardId: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers' shapes are what the assertions check
type Answer = any;

/** A fresh browser context signed in as Ada at `path` (CSP bypassed only so axe can be injected). */
async function open(path: string, options: { width?: number; dark?: boolean } = {}): Promise<Page> {
  const page = await app.newPage({ bypassCSP: true, colorScheme: options.dark === true ? 'dark' : 'light' });
  if (options.width !== undefined) await page.setViewportSize({ width: options.width, height: 800 });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await signIn(page, 'ada@example.com', { name: 'Ada Lovelace', returnTo: path });
  return page;
}

beforeAll(async () => {
  app = await startConsole();
  const first = await app.newPage();
  await signIn(first, 'ada@example.com', { name: 'Ada Lovelace', returnTo: '/welcome' });
  await first.context().close();
  ada = await apiAs(app, 'ada@example.com');
  workspaceId = (await ada.createWorkspace('Maintenance')).id;
  dashboardId = (await ada.createDashboard(workspaceId, 'Upkeep')).id;
  await ada.request('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' });
});

afterAll(async () => app?.stop());

describe('templates', () => {
  it('a recipe made from a shipped template with parameters from the dialog appears in /recipes and runs', async () => {
    const page = await open(`/recipes?workspace=${workspaceId}`);
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Templates' }).click();
    await page.waitForURL((url) => url.pathname === '/templates');
    const card = page.locator('li[data-template="nightly-dependency-update"]');
    await card.waitFor({ timeout: 15_000 });
    // Its description and declared parameters.
    expect(await card.textContent()).toContain('An agent updates the dependencies on a branch');
    const parameters = await card.locator('tbody tr td:first-child').allTextContents();
    expect(parameters).toEqual(['repository', 'baseBranch', 'profile', 'approvals', 'integration']);
    expect(await card.locator('tbody tr').first().textContent()).toContain('required');
    await card.locator('details > summary').click();
    expect(await card.locator('details pre').textContent()).toContain('quorum: "{{approvals}}"');
    expect(await axeViolations(page)).toEqual([]);

    await card.getByRole('button', { name: 'Use template Nightly dependency update' }).click();
    const dialog = page.getByRole('dialog', { name: 'Use “Nightly dependency update”' });
    await dialog.waitFor();
    // Sent without the required repository: the server's issue shows at that field.
    await dialog.getByRole('button', { name: 'Create recipe' }).click();
    await expect
      .poll(() => dialog.locator('[data-field="parameters.repository"] .field-error').textContent(), {
        timeout: 15_000,
      })
      .toMatch(/\S/);
    expect(await dialog.getByLabel(/^repository/).getAttribute('aria-invalid')).toBe('true');
    expect(await axeViolations(page)).toEqual([]);
    await dialog.getByLabel(/^repository/).fill('acme/widgets');
    await dialog.getByLabel(/^approvals/).fill('2');
    await dialog.getByRole('button', { name: 'Create recipe' }).click();
    await page.waitForURL((url) => url.pathname === '/recipes', { timeout: 15_000 });
    await expect
      .poll(() => page.getByTestId('recipes-note').textContent(), { timeout: 15_000 })
      .toContain('Created “Nightly dependency update of acme/widgets” v1');
    const { recipes }: Answer = await ada.request('GET', `/v1/workspaces/${workspaceId}/recipes`);
    const made = recipes.find((r: Answer) => r.name === 'Nightly dependency update of acme/widgets');
    expect(made).toBeDefined();
    const view: Answer = await ada.request('GET', `/v1/recipes/${made.id}`);
    expect(view.latest.source.steps.find((s: Answer) => s.id === 'gate').quorum).toBe(2);

    // It runs: started from its row's Run dialog.
    await page.getByRole('button', { name: 'Run Nightly dependency update of acme/widgets' }).click();
    const run = page.getByRole('dialog', { name: /Run “Nightly dependency update of acme\/widgets”/ });
    await run.waitFor();
    await run.getByRole('button', { name: 'Start' }).click();
    await page.waitForURL(/\/executions\/[0-9a-f-]{36}$/, { timeout: 15_000 });
    const executionId = page.url().split('/').at(-1) ?? '';
    const started: Answer = await ada.request('GET', `/v1/executions/${executionId}`);
    expect(started).toMatchObject({ recipeId: made.id, dashboardId });
    // Its first step runs; this test has no GitHub connection, so the agent's GitHub access is refused
    // there, as it would be in any workspace not connected yet (shown on the execution page).
    await expect
      .poll(
        async () => (await ada.request<Answer>('GET', `/v1/executions/${executionId}`)).steps.update?.attempt ?? 0,
        { timeout: 30_000 },
      )
      .toBeGreaterThanOrEqual(1);
    await expect
      .poll(() => page.locator('li.step[data-step="update"]').textContent(), { timeout: 30_000 })
      .toContain('no GitHub connection');
  });

  it(
    'publishing a recipe as a template (its placeholders as ' +
      'parameters) makes it appear in /templates, where it can be deleted',
    async () => {
      const recipe = await ada.createRecipe(workspaceId, {
        yaml: 'name: greeter\nsteps:\n  - { id: hello, kind: approval, prompt: "Say hello to {{who}}?" }\n',
      });
      const page = await open(`/recipes?workspace=${workspaceId}`, { width: 375 });
      await page.getByRole('button', { name: 'Publish as template greeter' }).click();
      const dialog = page.getByRole('dialog', { name: 'Publish “greeter” as a template' });
      await dialog.waitFor();
      // One row per placeholder found in the recipe.
      const firstName = dialog.locator('fieldset[data-field="parameters.0"]').getByLabel('Name');
      await expect.poll(() => firstName.inputValue(), { timeout: 15_000 }).toBe('who');
      // A name the recipe does not use: the server says so at the row and about the placeholder left undeclared.
      await firstName.fill('whom');
      await dialog.getByRole('button', { name: 'Publish' }).click();
      await expect
        .poll(() => dialog.getByRole('alert').allTextContents(), { timeout: 15_000 })
        .toEqual(expect.arrayContaining([expect.stringMatching(/who/)]));
      expect(await axeViolations(page)).toEqual([]);
      await firstName.fill('who');
      await dialog.locator('fieldset[data-field="parameters.0"]').getByLabel('What it is').fill('Whom to greet');
      await dialog.getByLabel('Template name').fill('Greeting');
      await dialog.getByLabel('Description').fill('Asks before greeting someone.');
      await dialog.getByRole('button', { name: 'Publish' }).click();
      await expect
        .poll(() => page.getByTestId('recipes-note').textContent(), { timeout: 15_000 })
        .toContain('Published “Greeting”');
      expect(await dialog.count()).toBe(0);

      const templates = await open(`/templates?workspace=${workspaceId}`);
      const own = templates.locator('section[aria-labelledby="templates-own"] li[data-template]');
      await own.first().waitFor({ timeout: 15_000 });
      expect(await own.locator('.template-name').allTextContents()).toEqual(['Greeting']);
      expect(await own.textContent()).toContain('Asks before greeting someone.');
      expect(await own.locator('tbody tr').first().textContent()).toContain('Whom to greet');
      expect(await axeViolations(templates)).toEqual([]);
      await screenshot(templates, 'templates');
      const dark = await open(`/templates?workspace=${workspaceId}`, { dark: true });
      await dark
        .locator('section[aria-labelledby="templates-own"] li[data-template]')
        .first()
        .waitFor({ timeout: 15_000 });
      expect(await axeViolations(dark)).toEqual([]);
      await screenshot(dark, 'templates-dark');
      const published: Answer = await ada.request('GET', `/v1/workspaces/${workspaceId}/templates`);
      expect(published.templates.find((t: Answer) => t.name === 'Greeting')).toMatchObject({
        origin: 'workspace',
        recipeId: recipe.id,
        parameters: [{ name: 'who', type: 'string' }],
      });
      // Shipped templates cannot be deleted, so they offer no Delete; the workspace's own can.
      expect(
        await templates
          .locator('li[data-template="nightly-dependency-update"]')
          .getByRole('button', { name: /^Delete/ })
          .count(),
      ).toBe(0);
      templates.once('dialog', (d) => void d.accept());
      await own.getByRole('button', { name: 'Delete template Greeting' }).click();
      await expect.poll(() => own.count(), { timeout: 15_000 }).toBe(0);
      expect(
        (await ada.request<Answer>('GET', `/v1/workspaces/${workspaceId}/templates`)).templates.some(
          (t: Answer) => t.name === 'Greeting',
        ),
      ).toBe(false);
    },
  );
});
