import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, axeViolations, screenshot, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

/**
 * The terminal panel in real Chromium against the real server and its in-process local plane:
 * the dashboard's Terminal button asks the API for a terminal, the panel loads xterm.js on demand,
 * attaches to the stand-in's WebSocket with Baton's token (the page's CSP must allow the plane's
 * origin), and what is typed comes back through the stand-in. Stopping the terminal's sandbox the
 * way a person does (DELETE /v1/sessions/{id}) makes the panel ask again and reattach to the new one.
 */
let baton: Console;
let ada: ApiUser;
let workspaceId: string;

interface Session {
  id: string;
  purpose: string;
  status: string;
  sandboxId: string | null;
}

beforeAll(async () => {
  baton = await startConsole();
  ada = await apiAs(baton, 'ada@example.com');
  workspaceId = (await ada.createWorkspace('Terminals')).id;
});

afterAll(async () => {
  await baton?.stop();
});

/** A signed-in page on the dashboard, admitted to it. */
async function openDashboard(
  dashboardId: string,
  options: { bypassCSP?: boolean; dark?: boolean; width?: number } = {},
): Promise<Page> {
  const page = await baton.newPage({
    bypassCSP: options.bypassCSP ?? false,
    colorScheme: options.dark === true ? 'dark' : 'light',
  });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.setViewportSize({ width: options.width ?? 1280, height: 900 });
  await signIn(page, ada.email, { name: 'Ada Owner', returnTo: `/dashboards/${dashboardId}` });
  await page.locator('main.dashboard-page[data-access="read-write"]').waitFor({ timeout: 30_000 });
  return page;
}

/** What the terminal shows, as text (xterm's rows; its non-breaking spaces as spaces). */
const screenText = async (page: Page) =>
  (await page.locator('.terminal-box .xterm-rows').innerText()).replace(/\u00a0/g, ' ');

async function terminalSession(dashboardId: string): Promise<Session> {
  const { sessions } = await ada.request<{ sessions: Session[] }>('GET', `/v1/dashboards/${dashboardId}/sessions`);
  const live = sessions.find((s) => s.purpose === 'terminal' && s.status === 'ready');
  if (live === undefined) throw new Error(`no ready terminal session: ${JSON.stringify(sessions)}`);
  return live;
}

describe('the terminal panel', () => {
  it('round-trips through the stand-in terminal, and reattaches when the sandbox is replaced', async () => {
    const dashboard = await ada.createDashboard(workspaceId, 'Build box');
    const page = await openDashboard(dashboard.id);
    // Loaded on demand: xterm's chunk is fetched only when the button is pressed.
    const terminalChunks = () =>
      page.evaluate(() =>
        performance
          .getEntriesByType('resource')
          .map((entry) => entry.name)
          .filter((name) => name.includes('/assets/terminal-panel-')),
      );
    await page.waitForLoadState('networkidle');
    expect(await terminalChunks()).toEqual([]);
    expect(await page.locator('.xterm').count()).toBe(0);
    const opened = Date.now();
    await page.locator('.sessions-panel').getByRole('button', { name: 'Terminal' }).click();
    const status = page.getByTestId('terminal-status');
    await expect.poll(() => status.textContent(), { timeout: 60_000 }).toMatch(/^Connected to sandbox sbx-/);
    console.log(`terminal connected ${Date.now() - opened} ms after the click`);
    expect((await terminalChunks()).some((name) => name.endsWith('.js'))).toBe(true);
    const first = await terminalSession(dashboard.id);
    await expect
      .poll(() => screenText(page), { timeout: 15_000 })
      .toContain(`Baton local stand-in terminal for sandbox ${first.sandboxId} (no shell)`);
    expect(await status.textContent()).toBe(`Connected to sandbox ${first.sandboxId}.`);

    await page.keyboard.type('hello baton');
    await page.keyboard.press('Enter');
    // The echo names the size the panel sent after fitting its box (not the 80x24 default).
    await expect.poll(() => screenText(page), { timeout: 15_000 }).toMatch(/echo \(\d+x\d+\): hello baton/);
    const size = /echo \((\d+)x(\d+)\)/.exec(await screenText(page));
    expect(size).not.toBeNull();
    expect(`${size?.[1]}x${size?.[2]}`).not.toBe('80x24');
    await screenshot(page, 'terminal');

    // The sandbox goes: the panel says so, asks the API again and reattaches to the new sandbox.
    const replaced = Date.now();
    await ada.request('DELETE', `/v1/sessions/${first.id}`);
    await expect
      .poll(
        async () => {
          const text = (await status.textContent()) ?? '';
          return text.startsWith('Connected to sandbox sbx-') && !text.includes(first.sandboxId ?? '-');
        },
        { timeout: 60_000 },
      )
      .toBe(true);
    console.log(`terminal reattached ${Date.now() - replaced} ms after the sandbox was stopped`);
    const second = await terminalSession(dashboard.id);
    expect(second.sandboxId).not.toBe(first.sandboxId);
    expect(await status.textContent()).toBe(`Connected to sandbox ${second.sandboxId}.`);
    await expect
      .poll(() => screenText(page), { timeout: 15_000 })
      .toContain(`Baton local stand-in terminal for sandbox ${second.sandboxId} (no shell)`);
    await page.keyboard.type('again');
    await page.keyboard.press('Enter');
    await expect.poll(() => screenText(page), { timeout: 15_000 }).toMatch(/echo \(\d+x\d+\): again/);

    // Closing the panel closes the socket: the terminal and its status are gone, focus back on the button.
    await page.getByRole('button', { name: 'Close terminal' }).click();
    await page.locator('.terminal-panel').waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Terminal');
  });

  it('has no serious accessibility problem, light and dark, and fits at 375 px', async () => {
    const dashboard = await ada.createDashboard(workspaceId, 'Checked box');
    for (const dark of [false, true]) {
      // bypassCSP only so axe can be injected; the test above runs under the real policy.
      const page = await openDashboard(dashboard.id, { bypassCSP: true, dark, width: dark ? 375 : 1280 });
      await page.locator('.sessions-panel').getByRole('button', { name: 'Terminal' }).click();
      await expect
        .poll(() => page.getByTestId('terminal-status').textContent(), { timeout: 60_000 })
        .toMatch(/^Connected/);
      await expect.poll(() => screenText(page), { timeout: 15_000 }).toContain('(no shell)');
      expect(await axeViolations(page)).toEqual([]);
      const box = await page.locator('.terminal-panel').boundingBox();
      expect(box?.width).toBeLessThanOrEqual(dark ? 375 : 1280);
      if (dark) await screenshot(page, 'terminal-dark-narrow');
      await page.close();
    }
  });
});
