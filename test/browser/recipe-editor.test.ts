import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, axeViolations, screenshot, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

// The recipe editor (/recipes/new, /recipes/:id/edit) in real Chromium against the real server:
// the server's 400 issues shown at their paths (a CodeMirror diagnostic on the right line and a
// list of buttons beside it), syntax errors at their line, and saving versions.
let app: Console;
let ada: ApiUser;
let workspaceId: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers' shapes are what the assertions check
type Answer = any;

/** A fresh browser context signed in as Ada at `path` (CSP bypassed only so axe can be injected). */
async function open(path: string, options: { dark?: boolean; width?: number } = {}): Promise<Page> {
  const page = await app.newPage({ colorScheme: options.dark === true ? 'dark' : 'light', bypassCSP: true });
  if (options.width !== undefined) await page.setViewportSize({ width: options.width, height: 800 });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await signIn(page, 'ada@example.com', { name: 'Ada Lovelace', returnTo: path });
  return page;
}

/** Replaces the editor's whole text as a person would (select all, then type it in one go). */
async function replaceText(page: Page, text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

/**
 * The 1-based lines of the editor that carry an error underline (CodeMirror renders every line of a short document).
 */
function underlinedLines(page: Page): Promise<Array<{ line: number; text: string }>> {
  return page.evaluate(() => {
    const lines = [...document.querySelectorAll('.cm-content > .cm-line')];
    return [...document.querySelectorAll('.cm-content .cm-lintRange-error')].map((mark) => ({
      line: lines.indexOf(mark.closest('.cm-line') as Element) + 1,
      text: mark.textContent ?? '',
    }));
  });
}

const v1 = `name: release-notes
inputs:
  title: { type: string, required: true }
steps:
  - id: draft
    kind: agent
    profile: coder
    prompt: "Draft the notes of \${inputs.title}"
    input: { duration: 10, output: { text: notes } }
  - id: review
    kind: approval
    prompt: "Publish the notes of \${inputs.title}?"
`;

// Version 2 as typed, with a mistake deep in the second step (line 18: a backoff factor that is not a number).
const broken = `name: release-notes
inputs:
  title: { type: string, required: true }
steps:
  - id: draft
    kind: agent
    profile: coder
    prompt: "Draft the notes of \${inputs.title}"
    input: { duration: 10, output: { text: notes } }
  - id: polish
    kind: agent
    profile: coder
    prompt: "Polish the notes"
    retry:
      maxAttempts: 3
      backoff:
        initial: 1s
        factor: lots
        max: 1m
  - id: review
    kind: approval
    prompt: "Publish the notes of \${inputs.title}?"
`;

beforeAll(async () => {
  app = await startConsole();
  const first = await app.newPage();
  await signIn(first, 'ada@example.com', { name: 'Ada Lovelace', returnTo: '/welcome' });
  await first.context().close();
  ada = await apiAs(app, 'ada@example.com');
  workspaceId = (await ada.createWorkspace('Docs')).id;
  await ada.request('POST', `/v1/workspaces/${workspaceId}/agent-profiles`, { name: 'coder', model: 'test-model' });
});

afterAll(async () => app?.stop());

describe('the recipe editor', () => {
  it(
    "shows the server's problem deep in a step at that step's line, " +
      'moves there from the list, and saves the fix as a new version',
    async () => {
      const recipe = await ada.createRecipe(workspaceId, { yaml: v1 });
      const page = await open(`/recipes?workspace=${workspaceId}`);
      const scripts: string[] = [];
      page.on('request', (request) => {
        if (request.resourceType() === 'script') scripts.push(new URL(request.url()).pathname);
      });
      await page.reload();
      await page.getByRole('link', { name: 'Edit release-notes' }).waitFor({ timeout: 15_000 });
      // The editor (CodeMirror, the YAML parser) is not part of other pages: fetched once the editor opens.
      expect(scripts.filter((path) => path.includes('recipe-yaml-editor'))).toEqual([]);
      await page.getByRole('link', { name: 'Edit release-notes' }).click();
      await page.waitForURL((url) => url.pathname === `/recipes/${recipe.id}/edit`);
      const editor = page.getByRole('textbox', { name: 'YAML of release-notes' });
      // The latest version's source, as YAML.
      await expect
        .poll(() => editor.textContent(), { timeout: 30_000 })
        .toContain('Publish the notes of ${inputs.title}?');
      expect(await page.getByText('Saving adds version 2').count()).toBe(1);
      expect(scripts.filter((path) => path.includes('recipe-yaml-editor'))).toHaveLength(1);

      await replaceText(page, broken);
      await page.getByRole('button', { name: 'Save new version' }).click();
      await expect
        .poll(() => page.getByRole('alert').first().textContent(), { timeout: 15_000 })
        .toContain('Not saved');
      // In the list beside the editor: the path, the server's message, the line.
      const entry = page.locator('.recipe-problems li[data-path="steps.1.retry.backoff.factor"]');
      await entry.waitFor({ timeout: 15_000 });
      expect(await entry.getAttribute('data-line')).toBe('18');
      expect(await entry.textContent()).toMatch(/line 18 steps\.1\.retry\.backoff\.factor: .*number/);
      // In the editor: the value itself is underlined, on line 18.
      await expect.poll(() => underlinedLines(page), { timeout: 15_000 }).toEqual([{ line: 18, text: 'lots' }]);
      expect(await page.locator('.cm-gutter-lint .cm-lint-marker-error').count()).toBe(1);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'recipe-editor-error');

      // The list's button puts the cursor on the problem: fix it from the keyboard.
      await entry.getByRole('button').click();
      expect(await page.evaluate(() => document.activeElement?.classList.contains('cm-content'))).toBe(true);
      await page.keyboard.press('Shift+End');
      await page.keyboard.insertText('2');
      await page.getByRole('button', { name: 'Save new version' }).click();
      await page.waitForURL((url) => url.pathname === '/recipes', { timeout: 15_000 });
      await expect
        .poll(() => page.getByTestId('recipes-note').textContent(), { timeout: 15_000 })
        .toBe('Saved “release-notes” v2');
      const row = page.locator(`li[data-recipe="${recipe.id}"]`);
      await expect.poll(() => row.getByTestId('recipe-version').textContent(), { timeout: 15_000 }).toMatch(/^v2 /);
      // Its versions: v2 first, its source readable (and reachable by keyboard when it scrolls).
      await row.getByText('Versions').click();
      await row.locator('ol li summary').first().click();
      expect(await row.locator('ol li pre').first().textContent()).toContain('"factor": 2');
      expect(await axeViolations(page)).toEqual([]);
      const saved: Answer = await ada.request('GET', `/v1/recipes/${recipe.id}`);
      expect(saved.latest.source.steps[1]).toMatchObject({
        id: 'polish',
        retry: { maxAttempts: 3, backoff: { initial: '1s', factor: 2, max: '1m' } },
      });
    },
  );

  it(
    'a new recipe: a syntax error shows at its line as it ' + 'is typed and after saving, then the recipe is created',
    async () => {
      const page = await open(`/recipes?workspace=${workspaceId}`, { dark: true });
      await page.getByRole('link', { name: 'New recipe' }).click();
      await page.waitForURL((url) => url.pathname === '/recipes/new');
      const editor = page.getByRole('textbox', { name: 'YAML of the new recipe' });
      await expect.poll(() => editor.textContent(), { timeout: 30_000 }).toContain('name: my-recipe');
      // Line 4 is indented one space short: a syntax error, shown by the parser here before any save.
      await replaceText(page, 'name: hello\nsteps:\n  - id: ask\n   kind: approval\n    prompt: "Hello?"\n');
      const syntax = page.locator('.recipe-problems li[data-origin="syntax"]');
      await syntax.first().waitFor({ timeout: 15_000 });
      expect(await syntax.first().getAttribute('data-line')).toBe('4');
      await expect.poll(async () => (await underlinedLines(page)).map((u) => u.line), { timeout: 15_000 }).toContain(4);
      // Leaving would lose the text: the page asks first, and Stay keeps it.
      await page.getByRole('link', { name: 'Cancel' }).click();
      const ask = page.getByRole('alert').filter({ hasText: 'not saved' });
      await ask.waitFor({ timeout: 15_000 });
      await ask.getByRole('button', { name: 'Stay' }).click();
      expect(new URL(page.url()).pathname).toBe('/recipes/new');
      expect(await editor.textContent()).toContain('name: hello');
      // Saved anyway: the server refuses it; its "does not parse … at line 4" is the same problem, shown once.
      await page.getByRole('button', { name: 'Create recipe' }).click();
      await expect
        .poll(() => page.getByRole('alert').first().textContent(), { timeout: 15_000 })
        .toContain('Not saved');
      expect(
        await page
          .locator('.recipe-problems li')
          .evaluateAll((items) => items.map((li) => li.getAttribute('data-line'))),
      ).not.toContain('1');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'recipe-editor-dark');

      await replaceText(page, 'name: hello\nsteps:\n  - id: ask\n    kind: approval\n    prompt: "Hello?"\n');
      await expect
        .poll(() => page.locator('.recipe-problems li[data-origin="syntax"]').count(), { timeout: 15_000 })
        .toBe(0);
      // Saved from the keyboard, without leaving the editor.
      await page.keyboard.press('ControlOrMeta+s');
      await page.waitForURL((url) => url.pathname === '/recipes', { timeout: 15_000 });
      await expect
        .poll(() => page.getByTestId('recipes-note').textContent(), { timeout: 15_000 })
        .toBe('Saved “hello” v1');
      const { recipes }: Answer = await ada.request('GET', `/v1/workspaces/${workspaceId}/recipes`);
      expect(recipes.map((r: Answer) => r.name)).toContain('hello');
    },
  );

  it('archives a recipe from /recipes (no Edit or Run then) and restores it', async () => {
    const recipe = await ada.createRecipe(workspaceId, {
      yaml: 'name: retire-me\nsteps:\n  - { id: gate, kind: approval, prompt: "go?" }\n',
    });
    await ada.createRecipe(workspaceId, {
      yaml: 'name: keep-me\nsteps:\n  - { id: gate, kind: approval, prompt: "go?" }\n',
    });
    const page = await open(`/recipes?workspace=${workspaceId}`, { width: 375 });
    const row = page.locator(`li[data-recipe="${recipe.id}"]`);
    await row.waitFor({ timeout: 15_000 });
    expect(await axeViolations(page)).toEqual([]);
    await screenshot(page, 'recipes-narrow');
    await row.getByRole('button', { name: 'Archive retire-me' }).click();
    await expect
      .poll(async () => (await ada.request<Answer>('GET', `/v1/recipes/${recipe.id}`)).archivedAt, { timeout: 15_000 })
      .not.toBeNull();
    // Gone from the list once it is read again (the other recipes are there).
    await expect
      .poll(async () => [await row.count(), (await page.locator('li[data-recipe]').count()) > 0], { timeout: 15_000 })
      .toEqual([0, true]);
    await page.getByLabel('Show archived recipes').check();
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getByRole('link', { name: /^Edit/ }).count()).toBe(0);
    expect(await row.getByRole('button', { name: /^Run/ }).count()).toBe(0);
    await row.getByRole('button', { name: 'Restore retire-me' }).click();
    await expect
      .poll(async () => (await ada.request<Answer>('GET', `/v1/recipes/${recipe.id}`)).archivedAt, { timeout: 15_000 })
      .toBeNull();
    await row.getByRole('link', { name: 'Edit retire-me' }).waitFor({ timeout: 15_000 });
  });
});
