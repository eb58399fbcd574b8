import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCommand, waitForStatus, type Spawned } from '../support/processes.ts';
import { apiAs, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

/**
 * A server restart while someone types on the dashboard page: once the page reconnects, nothing the
 * server acknowledged is lost (edits are durable before they are acknowledged), and what was typed
 * while it was down reaches the server too (the provider sends what the server lacks).
 */
let baton: Console;
let ada: ApiUser;
let restarted: Spawned | undefined;

beforeAll(async () => {
  baton = await startConsole();
  ada = await apiAs(baton, 'ada@example.com');
});

afterAll(async () => {
  if (restarted !== undefined && restarted.child.exitCode === null) {
    restarted.child.kill('SIGTERM');
    await restarted.exited;
  }
  await baton?.stop();
});

const saved = (page: Page) => page.locator('.connection', { hasText: 'Saved' }).waitFor({ timeout: 60_000 });

describe('the dashboard page across a server restart', () => {
  it('loses no acknowledged text, and sends what was typed while the server was down', async () => {
    const workspace = await ada.createWorkspace('Restart');
    const dashboard = await ada.createDashboard(workspace.id, 'Typing');
    await ada.request('POST', `/v1/dashboards/${dashboard.id}/items`, { kind: 'note', title: 'Log', body: '' });
    const page = await baton.newPage();
    await signIn(page, ada.email, { name: 'Ada Owner', returnTo: `/dashboards/${dashboard.id}` });
    await page.waitForURL(`**/dashboards/${dashboard.id}`);
    const note = page.locator('article.board-item[aria-label="note: Log"]');
    await note.getByRole('button', { name: 'Edit' }).click();
    await note.locator('.cm-content').click();
    await page.keyboard.type('acknowledged-before-the-crash ', { delay: 10 });
    await saved(page);
    // SIGKILL while typing: no shutdown hook runs, only what the log committed survives.
    const typing = page.keyboard.type('typed-around-the-crash ', { delay: 20 });
    baton.server.process.child.kill('SIGKILL');
    await baton.server.process.exited;
    await typing;
    await page.locator('.connection', { hasText: 'Connecting' }).waitFor({ timeout: 30_000 });
    await page.keyboard.type('typed-while-down', { delay: 10 });
    const restartedAt = Date.now();
    restarted = spawnCommand(
      process.execPath,
      ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', 'src/main/server.ts'],
      { ...baton.server.env },
    );
    await waitForStatus(`${baton.url}/readyz`, 200, 60_000, restarted);
    await saved(page);
    console.log(`page saved again ${Date.now() - restartedAt} ms after the restart began`);
    const body = async () =>
      (await ada.request<{ items: Array<{ body: string }> }>('GET', `/v1/dashboards/${dashboard.id}/items`)).items[0]
        ?.body ?? '';
    await expect.poll(body, { timeout: 30_000 }).toContain('typed-while-down');
    expect(await body()).toContain('acknowledged-before-the-crash');
    expect(await body()).toContain('typed-around-the-crash');
    // A fresh page (another person's view) gets it all from the server.
    const other = await baton.newPage();
    await signIn(other, ada.email, { returnTo: `/dashboards/${dashboard.id}` });
    await other
      .locator('article.board-item[aria-label="note: Log"] .note-rendered', { hasText: 'typed-while-down' })
      .waitFor({ timeout: 30_000 });
  });
});
