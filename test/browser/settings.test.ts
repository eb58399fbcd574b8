import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubStandIn, type GitHubStandIn } from '../support/github-stand-in.ts';
import { apiAs, axeViolations, screenshot, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

/**
 * Workspace settings (/settings: members, API tokens, integrations, audit log) and dashboard members
 * (/dashboards/:id/members) in real Chromium against the real server. Ada administers the workspace,
 * Bob is a plain member; what the pages change is checked through the API afterwards.
 */
let baton: Console;
let github: GitHubStandIn; // GitHub's REST API for Apps, local (test/support)
const hookSecret = 'acme-webhook-secret-0123456789';

interface Person {
  readonly name: string;
  readonly email: string;
  readonly id: string;
  readonly api: ApiUser;
  /** A browser context signed in as this person (axe needs CSP bypassed only for its injection). */
  readonly context: BrowserContext;
}

let ada: Person; // workspace admin
let bob: Person; // workspace member
let workspaceId: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by the assertions that read them
type Answer = any;
const ok = (who: Person, method: string, path: string, body?: unknown): Promise<Answer> =>
  who.api.request(method, path, body);

async function person(email: string, name: string): Promise<Person> {
  const context = await baton.browser.newContext({
    baseURL: baton.url,
    viewport: { width: 1280, height: 900 },
    bypassCSP: true,
  });
  const page = await context.newPage();
  await signIn(page, email, { name });
  await page.close();
  const api = await apiAs(baton, email);
  return { name, email, id: api.userId, api, context };
}

/** A page of `who`'s signed-in context at `path` (the workspace in the query). */
async function open(who: Person, path: string, options: { width?: number; dark?: boolean } = {}): Promise<Page> {
  const page = await who.context.newPage();
  await page.setViewportSize({ width: options.width ?? 1280, height: 900 });
  await page.emulateMedia({ colorScheme: options.dark === true ? 'dark' : 'light' });
  page.on('pageerror', (error) => console.error(`[${who.name}] page error:`, error.message));
  await page.goto(`${path}${path.includes('?') ? '&' : '?'}workspace=${workspaceId}`);
  return page;
}

async function expectNoSeriousAxe(page: Page, what: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations.map((v) => `${what}: ${v.id} (${v.impact}) ${v.help} at ${v.targets.join(', ')}`)).toEqual([]);
}

const memberRow = (page: Page, email: string) => page.locator(`tr[data-member="${email}"]`);
const status = (page: Page) => page.locator('section.panel p.outcome[role="status"]');

/** Calls the API with a bearer token, whatever the answer. */
async function withToken(token: string, path: string): Promise<number> {
  const response = await fetch(`${baton.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  await response.body?.cancel();
  return response.status;
}

beforeAll(async () => {
  github = await startGitHubStandIn();
  baton = await startConsole({ env: { BATON_GITHUB_API_URL: github.url } });
  ada = await person('ada@example.com', 'Ada Lovelace');
  bob = await person('bob@example.com', 'Bob Member');
  workspaceId = (await ada.api.createWorkspace('Acme')).id;
  await ok(ada, 'POST', `/v1/workspaces/${workspaceId}/members`, { email: bob.email, role: 'member' });
});

afterAll(async () => {
  await baton?.stop();
  await github?.close();
});

describe('workspace members', () => {
  it(
    'an admin adds a member by e-mail, changes the role and removes them; ' +
      'the API agrees; the last admin cannot step down; the audit log shows it',
    async () => {
      const page = await open(ada, '/settings');
      await page.getByRole('heading', { name: 'Members and roles' }).waitFor();
      await memberRow(page, bob.email).waitFor();
      expect(await page.getByRole('link', { name: 'Members' }).getAttribute('aria-current')).toBe('page');

      // Add Carol, who has never signed in, as a member.
      const add = page.getByRole('form', { name: 'Add a member' });
      await add.getByLabel('E-mail').fill('carol@example.com');
      await add.getByLabel('Role').selectOption('member');
      await add.getByRole('button', { name: 'Add member' }).click();
      await memberRow(page, 'carol@example.com').waitFor();
      await expect.poll(() => status(page).textContent()).toContain('Added carol@example.com as member');
      let members: Answer[] = (await ok(ada, 'GET', `/v1/workspaces/${workspaceId}/members`)).members;
      const carol = members.find((m) => m.email === 'carol@example.com');
      expect(carol?.role).toBe('member');

      // Make her an admin.
      const carolRow = memberRow(page, 'carol@example.com');
      await carolRow.getByLabel('Role of carol@example.com').selectOption('admin');
      await carolRow.getByRole('button', { name: 'Save role of carol@example.com' }).click();
      await expect.poll(() => status(page).textContent()).toContain('carol@example.com is now an admin');
      members = (await ok(ada, 'GET', `/v1/workspaces/${workspaceId}/members`)).members;
      expect(members.find((m) => m.userId === carol.userId)?.role).toBe('admin');

      // Back to member; then Ada, the only admin left, cannot step down: the server's 409 reason shows.
      await carolRow.getByLabel('Role of carol@example.com').selectOption('member');
      await carolRow.getByRole('button', { name: 'Save role of carol@example.com' }).click();
      await expect.poll(() => status(page).textContent()).toContain('carol@example.com is now a member');
      const adaRow = memberRow(page, ada.email);
      await adaRow.getByLabel(`Role of ${ada.name}`).selectOption('member');
      await adaRow.getByRole('button', { name: `Save role of ${ada.name}` }).click();
      await expect.poll(() => status(page).textContent()).toContain('A workspace needs at least one admin');
      expect(await status(page).getAttribute('class')).toContain('outcome-error');
      members = (await ok(ada, 'GET', `/v1/workspaces/${workspaceId}/members`)).members;
      expect(members.find((m) => m.userId === ada.id)?.role).toBe('admin');
      await screenshot(page, 'settings-members');
      await expectNoSeriousAxe(page, 'members');

      // Remove Carol, confirming in place.
      await carolRow.getByRole('button', { name: 'Remove carol@example.com' }).click();
      await carolRow.getByRole('button', { name: 'Yes, remove' }).click();
      await memberRow(page, 'carol@example.com').waitFor({ state: 'detached' });
      members = (await ok(ada, 'GET', `/v1/workspaces/${workspaceId}/members`)).members;
      expect(members.map((m) => m.email).sort()).toEqual([ada.email, bob.email]);

      // The audit log, newest first: removed, role changes, added; by Ada, about Carol.
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.waitForURL(/\/settings\/audit\?workspace=/);
      const rows = page.locator('table.audit-table tbody tr');
      await rows.first().waitFor();
      const actions = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action')));
      const mine = actions.filter((a) => a?.startsWith('member.'));
      expect(mine.slice(0, 4)).toEqual([
        'member.removed',
        'member.role_changed',
        'member.role_changed',
        'member.added',
      ]);
      const added = page.locator('tr[data-action="member.added"]').filter({ hasText: 'carol@example.com' });
      await added.waitFor();
      expect(await added.locator('td').nth(1).textContent()).toBe(ada.name);
      const removed = page.locator('tr[data-action="member.removed"]').first();
      expect(await removed.locator('td').nth(1).textContent()).toBe(ada.name);
      expect(await removed.locator('td').nth(3).textContent()).toContain(`user ${carol.userId.slice(0, 8)}`);
      await screenshot(page, 'settings-audit');
      await expectNoSeriousAxe(page, 'audit');
      await page.close();
    },
  );

  it('a member sees the members read-only, and no integrations or audit controls', async () => {
    const page = await open(bob, '/settings/members');
    await memberRow(page, ada.email).waitFor();
    expect(await memberRow(page, ada.email).locator('.role').textContent()).toBe('admin');
    await page.getByText('only admins add, change or remove members').waitFor();
    expect(await page.getByRole('form', { name: 'Add a member' }).count()).toBe(0);
    expect(await page.locator('main select').count()).toBe(0);
    expect(await page.getByRole('button', { name: /Remove|Save/ }).count()).toBe(0);

    await page.getByRole('link', { name: /Integrations/ }).click();
    await page.getByText('Only workspace admins see and manage integrations').waitFor();
    expect(await page.getByRole('button', { name: /Connect/ }).count()).toBe(0);
    expect(await page.locator('main form').count()).toBe(0);

    await page.getByRole('link', { name: /Audit log/ }).click();
    await page.getByText('Only workspace admins read the audit log').waitFor();
    expect(await page.locator('table.audit-table').count()).toBe(0);
    expect(await page.locator('main button').count()).toBe(0);
    await expectNoSeriousAxe(page, 'member view of the audit section');

    // 375 px wide, dark: the members list still reads.
    await page.goto(`/settings/members?workspace=${workspaceId}`);
    await page.setViewportSize({ width: 375, height: 800 });
    await page.emulateMedia({ colorScheme: 'dark' });
    await memberRow(page, ada.email).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'settings-members-narrow-dark');
    await expectNoSeriousAxe(page, 'members, dark, 375 px');
    await page.close();
  });
});

describe('API tokens', () => {
  it(
    'a token made on the page is shown once, works against the API, ' +
      'is gone after a reload, and stops working once revoked on the page',
    async () => {
      const page = await open(ada, '/settings/tokens');
      const form = page.getByRole('form', { name: 'New token' });
      await form.waitFor();
      // No name: the server's issue shows at the field.
      await form.getByRole('button', { name: 'Create token' }).click();
      await form.locator('.field-error').first().waitFor();
      expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');

      await form.getByLabel('Name').fill('deploy script');
      await form.getByRole('checkbox', { name: /control/ }).check();
      await form.getByLabel(/^Expires after/).fill('7');
      await form.getByRole('button', { name: 'Create token' }).click();
      const shown = page.getByTestId('created-token');
      await shown.waitFor();
      const secret = await shown.inputValue();
      expect(secret.length).toBeGreaterThan(20);
      await page.getByText('it is shown only this once').waitFor();

      // It works as Ada, with the scopes and expiry chosen.
      expect(await withToken(secret, '/v1/me')).toBe(200);
      const listed: Answer[] = (await ok(ada, 'GET', '/v1/tokens')).tokens;
      const made = listed.find((t) => t.name === 'deploy script');
      expect(made.scopes).toEqual(['read', 'control']);
      const days = (Date.parse(made.expiresAt) - Date.parse(made.createdAt)) / 86_400_000;
      expect(Math.round(days)).toBe(7);
      const row = page.locator('tr[data-token="deploy script"]');
      await row.waitFor();
      expect(await row.getAttribute('data-state')).toBe('active');

      // The screenshot hides the secret (blurred) before it is taken.
      await shown.evaluate((input) => {
        (input as HTMLInputElement).style.filter = 'blur(5px)';
      });
      await screenshot(page, 'settings-tokens');
      await expectNoSeriousAxe(page, 'tokens');

      // Nothing of it in storage; after a reload the list stays and the secret is gone.
      const stored = await page.evaluate(
        () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
      );
      expect(stored).not.toContain(secret);
      await page.reload();
      await page.locator('tr[data-token="deploy script"]').waitFor();
      expect(await page.getByTestId('created-token').count()).toBe(0);
      expect(await page.content()).not.toContain(secret);
      // Readable at 375 px, dark: the form fits and the table scrolls inside its own region.
      await page.setViewportSize({ width: 375, height: 800 });
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      await screenshot(page, 'settings-tokens-narrow-dark');
      await expectNoSeriousAxe(page, 'tokens, dark, 375 px');
      await page.setViewportSize({ width: 1280, height: 900 });

      // Revoke with confirmation: the API then refuses it.
      const again = page.locator('tr[data-token="deploy script"]');
      await again.getByRole('button', { name: 'Revoke deploy script' }).click();
      await again.getByRole('button', { name: 'Yes, revoke' }).click();
      await expect.poll(() => again.getAttribute('data-state')).toBe('revoked');
      await expect.poll(() => withToken(secret, '/v1/me')).toBe(401);

      // A token bound to one dashboard: it reaches that dashboard and no other.
      const board = await ada.api.createDashboard(workspaceId, 'Token board');
      const other = await ada.api.createDashboard(workspaceId, 'Other board');
      await page.reload();
      const form2 = page.getByRole('form', { name: 'New token' });
      await form2.getByLabel('Name').fill('sandbox');
      await form2.getByLabel('Only for dashboard').selectOption({ label: 'Token board' });
      await form2.getByRole('button', { name: 'Create token' }).click();
      const bound = await page.getByTestId('created-token').inputValue();
      expect(await withToken(bound, `/v1/dashboards/${board.id}`)).toBe(200);
      expect(await withToken(bound, `/v1/dashboards/${other.id}`)).not.toBe(200);
      expect(await page.locator('tr[data-token="sandbox"] td').nth(2).textContent()).toBe('Token board');
      await page.getByRole('button', { name: 'Done' }).click();
      expect(await page.getByTestId('created-token').count()).toBe(0);
      await page.close();
    },
  );
});

describe('integrations', () => {
  it(
    'an admin sees the connections, a GitHub issue at its ' + 'field, and why Google Drive cannot be connected here',
    async () => {
      const page = await open(ada, '/settings/integrations');
      await page.getByText('No connections yet.').waitFor();
      const github = page.getByRole('form', { name: 'Connect GitHub' });
      await github.getByLabel('App id').fill('12345');
      await github.getByLabel('Installation id').fill('678');
      await github.getByLabel('Private key (PEM)').fill('not a key');
      await github.getByLabel('Webhook secret').fill('a-webhook-secret-of-some-length');
      await github.getByRole('button', { name: 'Connect GitHub' }).click();
      const keyField = github.getByLabel('Private key (PEM)');
      await expect.poll(() => keyField.getAttribute('aria-invalid')).toBe('true');
      expect(await github.locator('.field-error').first().textContent()).toContain('PEM');

      // This server has no Google client configured: the 503's reason is shown.
      await page.getByRole('button', { name: 'Connect Google Drive' }).click();
      await expect.poll(() => status(page).textContent()).toContain('Google Drive cannot be connected on this server');
      expect(new URL(page.url()).pathname).toBe('/settings/integrations');
      await screenshot(page, 'settings-integrations');
      await expectNoSeriousAxe(page, 'integrations');
      await page.close();
    },
  );

  it(
    'an admin connects a GitHub App installation from the page, ' +
      'sees it listed without its secrets, and disconnects it',
    async () => {
      github.addInstallation({
        id: 4242,
        account: { login: 'acme-org', type: 'Organization' },
        repositories: ['api'],
        permissions: { contents: 'write', issues: 'write' },
      });
      const page = await open(ada, '/settings/integrations');
      await page.getByText('No connections yet.').waitFor();
      const form = page.getByRole('form', { name: 'Connect GitHub' });
      await form.getByLabel('App id').fill(github.appId);
      await form.getByLabel('Installation id').fill('4242');
      await form.getByLabel('Private key (PEM)').fill(github.privateKeyPem);
      await form.getByLabel('Webhook secret').fill(hookSecret);
      await form.getByRole('button', { name: 'Connect GitHub' }).click();
      const item = page.locator('li[data-integration="github"]');
      await item.waitFor();
      await expect.poll(() => status(page).textContent()).toContain('Connected GitHub (acme-org)');
      expect(await item.textContent()).toContain('acme-org');
      expect(await item.locator('.badge').textContent()).toBe('connected');
      expect(await item.textContent()).toContain('4242');
      // The secrets left the form once sent, and are nowhere on the page.
      expect(await form.getByLabel('Private key (PEM)').inputValue()).toBe('');
      expect(await form.getByLabel('Webhook secret').inputValue()).toBe('');
      const keyLine = github.privateKeyPem.split('\n')[10] ?? 'no such line';
      const html = await page.content();
      expect(html).not.toContain(keyLine);
      expect(html).not.toContain(hookSecret);
      let listed: Answer[] = (await ok(ada, 'GET', `/v1/workspaces/${workspaceId}/integrations`)).integrations;
      expect(listed.map((i) => [i.provider, i.status, i.externalId])).toEqual([['github', 'connected', '4242']]);

      await item.getByRole('button', { name: /^Disconnect/ }).click();
      await item.getByRole('button', { name: 'Yes, disconnect' }).click();
      await page.getByText('No connections yet.').waitFor();
      listed = (await ok(ada, 'GET', `/v1/workspaces/${workspaceId}/integrations`)).integrations;
      expect(listed).toEqual([]);
      await page.close();
    },
  );
});

describe('dashboard members', () => {
  it(
    "an owner makes a member a viewer from the members page, and that person's open dashboard " +
      'turns read-only; they see the list read-only; the owner removes and adds them back',
    async () => {
      const dashboard = await ada.api.createDashboard(workspaceId, 'Launch plan');
      await ok(ada, 'PUT', `/v1/dashboards/${dashboard.id}/members/${bob.id}`, { role: 'editor' });

      const bobs = await bob.context.newPage();
      bobs.on('pageerror', (error) => console.error('[Bob] page error:', error.message));
      await bobs.goto(`/dashboards/${dashboard.id}`);
      await expect
        .poll(() => bobs.locator('main.dashboard-page').getAttribute('data-access'), { timeout: 30_000 })
        .toBe('read-write');

      // Ada reaches the members page from the dashboard's header.
      const page = await open(ada, `/dashboards/${dashboard.id}`);
      await page.getByRole('link', { name: 'Members' }).click();
      await page.waitForURL(new RegExp(`/dashboards/${dashboard.id}/members`));
      const row = memberRow(page, bob.email);
      await row.waitFor();
      expect(await row.getByLabel(`Role of ${bob.name}`).inputValue()).toBe('editor');
      await row.getByLabel(`Role of ${bob.name}`).selectOption('viewer');
      await row.getByRole('button', { name: `Save role of ${bob.name}` }).click();
      await expect.poll(() => status(page).textContent()).toContain(`${bob.name} is now a viewer`);
      const members: Answer[] = (await ok(ada, 'GET', `/v1/dashboards/${dashboard.id}/members`)).members;
      expect(members.find((m) => m.userId === bob.id)?.role).toBe('viewer');

      // Bob's open dashboard follows at once.
      await expect
        .poll(() => bobs.locator('main.dashboard-page').getAttribute('data-access'), { timeout: 15_000 })
        .toBe('readonly');
      await bobs.getByText('Read-only').waitFor();
      await screenshot(page, 'dashboard-members');
      await expectNoSeriousAxe(page, 'dashboard members');

      // Bob sees the members read-only.
      await bobs.goto(`/dashboards/${dashboard.id}/members`);
      await memberRow(bobs, bob.email).waitFor();
      expect(await memberRow(bobs, bob.email).locator('.role').textContent()).toBe('viewer');
      await bobs.getByText('only owners and workspace admins change who is on this dashboard').waitFor();
      expect(await bobs.locator('main select').count()).toBe(0);
      expect(await bobs.locator('main button').count()).toBe(0);

      // Ada removes him; the API agrees.
      await row.getByRole('button', { name: `Remove ${bob.name}` }).click();
      await row.getByRole('button', { name: 'Yes, remove' }).click();
      await memberRow(page, bob.email).waitFor({ state: 'detached' });
      const after: Answer[] = (await ok(ada, 'GET', `/v1/dashboards/${dashboard.id}/members`)).members;
      expect(after.some((m) => m.userId === bob.id)).toBe(false);

      // And adds him back, picked from the workspace's members, as an editor.
      const add = page.getByRole('form', { name: 'Add someone to the dashboard' });
      await add.getByLabel('Person').selectOption({ label: `${bob.name} (${bob.email})` });
      await add.getByLabel('Role').selectOption('editor');
      await add.getByRole('button', { name: 'Add to dashboard' }).click();
      await memberRow(page, bob.email).waitFor();
      const back: Answer[] = (await ok(ada, 'GET', `/v1/dashboards/${dashboard.id}/members`)).members;
      expect(back.find((m) => m.userId === bob.id)?.role).toBe('editor');
      await page.close();
      await bobs.close();
    },
  );
});
