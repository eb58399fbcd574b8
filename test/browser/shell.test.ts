import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, axeViolations, screenshot, signIn, startConsole, type Console } from './support/index.ts';

// The console's shell in Chromium against the real server: sign-in, first run, the workspace
// switcher, sign-out; and the page runs under its CSP without a single violation.
let app: Console;
beforeAll(async () => {
  app = await startConsole();
});
afterAll(async () => app?.stop());

/** Content-Security-Policy violations the page reports (there must be none). */
function cspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

describe('the console shell', () => {
  it('sends a signed-out visitor to the sign-in page, which returns them to where they were', async () => {
    const page = await app.newPage();
    const violations = cspViolations(page);
    await page.goto('/dashboards/7d0f0a4e-1b7c-4d52-9a57-0a3f6a4b2f10');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    expect(new URL(page.url()).searchParams.get('returnTo')).toBe('/dashboards/7d0f0a4e-1b7c-4d52-9a57-0a3f6a4b2f10');
    const button = page.getByRole('link', { name: 'Sign in' });
    expect(await button.getAttribute('href')).toBe(
      '/auth/login?returnTo=%2Fdashboards%2F7d0f0a4e-1b7c-4d52-9a57-0a3f6a4b2f10',
    );
    await screenshot(page, 'sign-in');
    expect(violations).toEqual([]);
    await page.context().close();
  });

  it('has no serious accessibility problem on the sign-in and first-run pages, light or dark', async () => {
    const dark = await app.newPage({ colorScheme: 'dark', bypassCSP: true });
    await dark.goto('/sign-in');
    await dark.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await dark.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(13, 17, 23)');
    await screenshot(dark, 'sign-in-dark');
    expect(await axeViolations(dark)).toEqual([]);
    await signIn(dark, 'axe@example.com');
    await dark.getByRole('heading', { name: /^Welcome/ }).waitFor();
    expect(await axeViolations(dark)).toEqual([]);
    await dark.context().close();
    const light = await app.newPage({ bypassCSP: true });
    await light.goto('/sign-in');
    await light.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await axeViolations(light)).toEqual([]);
    await light.context().close();
  });

  it('takes a new person through first run to home, switches workspaces and signs out', async () => {
    const page = await app.newPage();
    const violations = cspViolations(page);
    await signIn(page, 'first-run@example.com', { name: 'Ada Lovelace' });
    // No workspace yet: the first-run page.
    await page.waitForURL((url) => url.pathname === '/welcome');
    await page.getByRole('heading', { name: 'Welcome, Ada Lovelace' }).waitFor();
    await screenshot(page, 'welcome');
    // Keyboard only: the name field has focus, Enter submits.
    await page.keyboard.type('Research');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/' && url.searchParams.get('workspace') !== null);
    const first = new URL(page.url()).searchParams.get('workspace');
    const switcher = page.getByRole('combobox', { name: 'Workspace', exact: true });
    await switcher.waitFor();
    expect(await switcher.inputValue()).toBe(first);
    await page.getByText('Ada Lovelace').first().waitFor();

    // A second workspace (made through the API, as the same person): the switcher offers and opens it.
    const api = await apiAs(app, 'first-run@example.com');
    const second = await api.createWorkspace('Operations');
    await page.reload();
    await switcher.waitFor();
    expect(await switcher.locator('option').allTextContents()).toEqual(
      expect.arrayContaining(['Research', 'Operations']),
    );
    await switcher.selectOption(second.id);
    await page.waitForURL((url) => url.searchParams.get('workspace') === second.id);
    // Remembered (its id only) for the next visit without ?workspace=.
    await page.goto('/');
    await switcher.waitFor();
    expect(await switcher.inputValue()).toBe(second.id);

    // Keyboard reachable: Tab gets to the sign-out button.
    let reached = false;
    for (let i = 0; i < 15 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.textContent === 'Sign out');
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/sign-in');
    const me = await page.evaluate(async () => (await fetch('/v1/me')).status);
    expect(me).toBe(401);
    expect(violations).toEqual([]);
    await page.context().close();
  });
});
