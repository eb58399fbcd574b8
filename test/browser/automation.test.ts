import { createHmac, randomUUID } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAs, axeViolations, screenshot, signIn, startConsole, type ApiUser, type Console } from './support/index.ts';

// The schedules and triggers pages in real Chromium against the real server: what a person sees
// when creating, editing, pausing them, and in their fire and event history.
let app: Console;
let ada: ApiUser;
let workspaceId: string;
let dashboardId: string;
let quickId: string;
let gatedId: string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers' shapes are what the assertions check
type Answer = any;

/** An API call as Ada, whatever the status. */
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
const ok = (method: string, path: string, body?: unknown): Promise<Answer> => ada.request<Answer>(method, path, body);

/** Ada's browser: one context (CSP bypassed only so axe can be injected), signed in once. */
let browser: BrowserContext;

/**
 * A new page of Ada's signed-in browser at `path`. One sign-in per file: the server limits /auth
 * requests per address (BATON_RATE_LIMIT_AUTH_PER_MINUTE), and a sign-in per test ran into it.
 */
async function open(path: string, options: { dark?: boolean } = {}): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error('page error:', error.message));
  if (options.dark === true) await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(path);
  return page;
}

/** The server's 400 issue for `body` at `path` (what the page must show at that field). */
async function serverIssue(url: string, body: unknown, path: string): Promise<string> {
  const res = await call('POST', url, body);
  expect(res.status).toBe(400);
  const issue = (res.body.error.details.issues as Array<{ path: string; message: string }>).find(
    (i) => i.path === path,
  );
  expect(issue, JSON.stringify(res.body)).toBeDefined();
  return issue?.message ?? '';
}

/** The fire times the page lists under "Next fire times" (their machine-readable times). */
const listedFires = (page: Page) =>
  page
    .getByTestId('next-fires')
    .locator('time')
    .evaluateAll((times) => times.map((t) => t.getAttribute('datetime')));

beforeAll(async () => {
  app = await startConsole();
  const first = await app.newPage({ bypassCSP: true });
  // Once more if the first try fails: a server started from a checkout whose web sources changed
  // rebuilds web/dist while already serving the older build, and a page loaded during the swap has
  // no script (seen when several servers share one checkout; a single run builds before serving).
  await signIn(first, 'ada@example.com', { name: 'Ada Lovelace', returnTo: '/welcome' }).catch(
    async (error: unknown) => {
      console.warn(
        'first sign-in failed, trying again:',
        error instanceof Error ? error.message.split('\n')[0] : error,
      );
      await signIn(first, 'ada@example.com', { name: 'Ada Lovelace', returnTo: '/welcome' });
    },
  );
  browser = first.context();
  await first.close();
  ada = await apiAs(app, 'ada@example.com');
  workspaceId = (await ok('POST', '/v1/workspaces', { name: 'Nightlies' })).id;
  dashboardId = (await ok('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Ops board' })).id;
  quickId = (
    await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml: 'name: quick\nsteps:\n  - { id: note, kind: notify, channel: dashboard, message: hello }\n',
    })
  ).id;
  gatedId = (
    await ok('POST', `/v1/workspaces/${workspaceId}/recipes`, {
      yaml:
        'name: gated\ninputs:\n  branch: { type: string, required: true }\nsteps:\n' +
        '  - { id: gate, kind: approval, prompt: "ship ${inputs.branch}?" }\n',
    })
  ).id;
});

afterAll(async () => app?.stop());

describe('schedules', () => {
  it(
    'created from the page: a bad cron shows the server’s issue at the cron ' +
      'field, a good one its next fire times; edited and paused from its page',
    async () => {
      const page = await open(`/schedules?workspace=${workspaceId}`);
      await page.getByRole('button', { name: 'New schedule' }).click();
      const form = page.getByRole('region', { name: 'New schedule' });
      await form.getByLabel('Name', { exact: true }).fill('nightly gated');
      await form.getByLabel('Recipe', { exact: true }).selectOption({ label: 'gated' });
      await form.getByLabel(/^branch/).fill('main');
      // The browser's zone is the default (Chromium's here); the schedule is read in Berlin.
      expect(await form.getByLabel('Time zone', { exact: true }).inputValue()).not.toBe('');
      await form.getByLabel('Time zone', { exact: true }).fill('Europe/Berlin');
      await form.getByLabel('Cron', { exact: true }).fill('61 * * * *');
      await form.getByRole('button', { name: 'Create schedule' }).click();
      const cronIssue = await serverIssue(
        `/v1/workspaces/${workspaceId}/schedules`,
        { name: 'x', recipeId: gatedId, dashboardId, inputs: { branch: 'main' }, cron: '61 * * * *' },
        'cron',
      );
      await expect
        .poll(() => form.locator('[data-field="cron"] .field-error').textContent(), { timeout: 15_000 })
        .toBe(cronIssue);
      expect(await form.getByLabel('Cron', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'schedule-new');

      // An end in the past: the server's issue at that field, the cron's gone once it is good.
      await form.getByLabel('Cron', { exact: true }).fill('30 2 * * *');
      await form.getByLabel('Ends', { exact: true }).fill('2001-01-01T00:00');
      await form.getByRole('button', { name: 'Create schedule' }).click();
      const endIssue = await serverIssue(
        `/v1/workspaces/${workspaceId}/schedules`,
        {
          name: 'x',
          recipeId: gatedId,
          dashboardId,
          inputs: { branch: 'main' },
          cron: '30 2 * * *',
          endAt: '2001-01-01T00:00:00Z',
        },
        'endAt',
      );
      await expect
        .poll(() => form.locator('[data-field="endAt"] .field-error').textContent(), { timeout: 15_000 })
        .toBe(endIssue);
      expect(await form.locator('[data-field="cron"] .field-error').count()).toBe(0);
      await form.getByLabel('Ends', { exact: true }).fill('');
      await form.getByRole('button', { name: 'Create schedule' }).click();
      await page.waitForURL(/\/schedules\/[0-9a-f-]{36}/, { timeout: 15_000 });
      const id = new URL(page.url()).pathname.split('/')[2] ?? '';
      const created = await ok('GET', `/v1/schedules/${id}`);
      expect(created).toMatchObject({
        name: 'nightly gated',
        cron: '30 2 * * *',
        timezone: 'Europe/Berlin',
        recipeId: gatedId,
        dashboardId,
        inputs: { branch: 'main' },
        paused: false,
      });
      expect(created.nextFires).toHaveLength(5);
      await expect.poll(() => listedFires(page), { timeout: 10_000 }).toEqual(created.nextFires);
      // Shown as read in Berlin: 02:30 each time.
      expect(await page.getByTestId('next-fires').locator('li').first().textContent()).toMatch(/02:30/);
      expect(await page.getByTestId('schedule-state').textContent()).toBe('active');
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'schedule');

      // Edited: a bad time zone gets the server's issue at its field; a new cron shows new fire times.
      const edit = page.getByRole('region', { name: 'Edit' });
      await edit.getByLabel('Time zone', { exact: true }).fill('Mars/Olympus_Mons');
      await edit.getByRole('button', { name: 'Save changes' }).click();
      const zoneIssue = (await call('PATCH', `/v1/schedules/${id}`, { timezone: 'Mars/Olympus_Mons' })).body.error
        .details.issues[0].message as string;
      await expect
        .poll(() => edit.locator('[data-field="timezone"] .field-error').textContent(), { timeout: 10_000 })
        .toBe(zoneIssue);
      await edit.getByLabel('Time zone', { exact: true }).fill('UTC');
      await edit.getByLabel('Cron', { exact: true }).fill('15 4 * * 1');
      await edit.getByRole('button', { name: 'Save changes' }).click();
      await expect.poll(() => page.getByTestId('saved-note').textContent(), { timeout: 10_000 }).toMatch(/^Saved\./);
      const edited = await ok('GET', `/v1/schedules/${id}`);
      expect(edited).toMatchObject({ cron: '15 4 * * 1', timezone: 'UTC' });
      expect(await listedFires(page)).toEqual(edited.nextFires);
      expect(await page.getByTestId('schedule-cron').textContent()).toBe('15 4 * * 1');

      // Paused from the page: shown paused, no next fires, and the API agrees.
      await page.getByRole('button', { name: 'Pause' }).click();
      await expect.poll(() => page.getByTestId('schedule-state').textContent(), { timeout: 10_000 }).toBe('paused');
      expect(await page.getByTestId('next-fires').textContent()).toContain('No next fires while paused');
      expect(await ok('GET', `/v1/schedules/${id}`)).toMatchObject({ paused: true, nextFires: [] });
      await page.getByRole('button', { name: 'Resume' }).click();
      await expect.poll(() => page.getByTestId('schedule-state').textContent(), { timeout: 10_000 }).toBe('active');
      expect((await ok('GET', `/v1/schedules/${id}`)).paused).toBe(false);

      // The list: recipe, cron, zone, state and the next fires.
      await page.getByRole('link', { name: '← Schedules' }).click();
      const row = page.locator(`li[data-schedule="${id}"]`);
      // Named once the workspace's recipes are in.
      await expect
        .poll(() => row.textContent(), { timeout: 10_000 })
        .toMatch(/nightly gated.*active.*runs gated on 15 4 \* \* 1 \(UTC\).*next:/s);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'schedules');

      // Deleted from its page, after a second thought: back on the list without it; the API agrees.
      await row.getByRole('link', { name: 'nightly gated' }).click();
      await page.getByRole('button', { name: 'Delete schedule' }).click();
      await page.getByRole('button', { name: 'Yes, delete' }).click();
      await page.waitForURL((url) => url.pathname === '/schedules');
      await page.getByRole('button', { name: 'New schedule' }).waitFor();
      expect(await row.count()).toBe(0);
      expect((await call('GET', `/v1/schedules/${id}`)).status).toBe(404);

      // The form at 375 px in dark: nothing wider than the screen.
      await page.setViewportSize({ width: 375, height: 800 });
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.getByRole('button', { name: 'New schedule' }).click();
      await page.getByRole('region', { name: 'New schedule' }).waitFor();
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
      expect(await axeViolations(page)).toEqual([]);
      await screenshot(page, 'schedule-new-narrow-dark');
      await page.close();
    },
  );

  it('a schedule that fires shows each fire with a link to the execution it started', async () => {
    // Every second, paused until resumed from the page; `quick` finishes at once.
    const schedule = await ok('POST', `/v1/workspaces/${workspaceId}/schedules`, {
      name: 'every second',
      recipeId: quickId,
      dashboardId,
      cron: '* * * * * *',
      paused: true,
    });
    const page = await open(`/schedules/${schedule.id}`);
    await page.getByText('No fires yet.').waitFor();
    await page.getByRole('button', { name: 'Resume' }).click();
    // The history refreshes on its own: a started fire appears with its execution.
    const started = page.locator('tr[data-fire]', { has: page.locator('.badge', { hasText: 'started' }) }).first();
    await started.waitFor({ timeout: 30_000 });
    // More fires than a page holds (20), so the history pages back.
    await expect
      .poll(async () => (await ok('GET', `/v1/schedules/${schedule.id}/fires?limit=200`)).fires.length, {
        timeout: 60_000,
        interval: 1000,
      })
      .toBeGreaterThan(22);
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('schedule-state').textContent(), { timeout: 10_000 }).toBe('paused');
    // Pinned by its time: a fire in the moment of pausing may still join the top of the list.
    const fireAt = (await started.getAttribute('data-fire')) ?? '';
    const row = page.locator(`tr[data-fire="${fireAt}"]`);
    const fires = (await ok('GET', `/v1/schedules/${schedule.id}/fires?limit=200`)).fires as Array<{
      fireAt: string;
      outcome: string;
      executionId: string | null;
    }>;
    const fire = fires.find((f) => f.fireAt === fireAt);
    expect(fire?.outcome).toBe('started');
    const link = row.getByRole('link', { name: /^execution / });
    expect(await link.getAttribute('href')).toBe(`/executions/${fire?.executionId}`);
    // Opened again: the newest 20, then "Older fires" brings the rest, as the API lists them.
    await page.reload();
    await row.waitFor();
    expect(await page.locator('tr[data-fire]').count()).toBe(20);
    await page.getByRole('button', { name: 'Older fires' }).click();
    await expect
      .poll(() => page.locator('tr[data-fire]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-fire'))), {
        timeout: 10_000,
      })
      .toEqual(fires.map((f) => f.fireAt));
    expect(await page.getByRole('button', { name: 'Older fires' }).count()).toBe(0);
    expect(await axeViolations(page)).toEqual([]);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'schedule-fires');
    await page.setViewportSize({ width: 375, height: 800 });
    await row.scrollIntoViewIfNeeded();
    await screenshot(page, 'schedule-narrow');
    await link.click();
    await page.waitForURL(`**/executions/${fire?.executionId}`);
    await page.getByTestId('execution-status').waitFor();
    await page.close();
  });
});

describe('triggers', () => {
  /** Posts a generic delivery signed as docs/triggers.md says. */
  async function deliver(
    url: string,
    secret: string,
    payload: unknown,
    deliveryId = randomUUID(),
  ): Promise<{ status: number; deliveryId: string }> {
    const body = JSON.stringify(payload);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', secret).update(`${timestamp}.${deliveryId}.${body}`).digest('hex');
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-baton-timestamp': timestamp,
        'x-baton-delivery': deliveryId,
        'x-baton-signature-256': `v1=${signature}`,
      },
      body,
    });
    await res.text();
    return { status: res.status, deliveryId };
  }

  it(
    'a generic webhook trigger made from the page shows its secret once; ' +
      'a signed delivery appears in its events with the execution it started',
    async () => {
      const page = await open(`/triggers?workspace=${workspaceId}`, { dark: true });
      await page.getByRole('button', { name: 'New trigger' }).click();
      const form = page.getByRole('region', { name: 'New trigger' });
      await form.getByLabel('Name', { exact: true }).fill('deploys');
      await form.getByLabel('Recipe', { exact: true }).selectOption({ label: 'gated' });
      await form.getByLabel(/^branch/).fill('event.payload.branch');
      // A filter that does not parse: the server's issue at the filter field.
      await form.getByLabel(/^Filter/).fill('event.payload.env ==');
      await form.getByRole('button', { name: 'Create trigger' }).click();
      const filterIssue = await serverIssue(
        `/v1/workspaces/${workspaceId}/triggers`,
        {
          name: 'x',
          source: 'webhook',
          filter: 'event.payload.env ==',
          action: { kind: 'start', recipeId: gatedId, dashboardId, inputs: { branch: 'event.payload.branch' } },
        },
        'filter',
      );
      await expect
        .poll(() => form.locator('[data-field="filter"] .field-error').textContent(), { timeout: 15_000 })
        .toBe(filterIssue);
      expect(await axeViolations(page)).toEqual([]);
      await form.getByLabel(/^Filter/).fill('event.payload.env == "prod"');
      await form.getByRole('button', { name: 'Create trigger' }).click();

      const shown = page.getByTestId('secret-once');
      await shown.waitFor({ timeout: 15_000 });
      const secret = (await page.getByTestId('trigger-secret').textContent()) ?? '';
      const hookUrl = (await page.getByTestId('trigger-hook-url').textContent()) ?? '';
      expect(secret.length).toBeGreaterThan(20);
      expect(hookUrl).toMatch(new RegExp(`^${app.url}/v1/hooks/[0-9a-f-]{36}$`));
      expect(await shown.textContent()).toContain('docs/triggers.md');
      // Kept nowhere but the page's memory.
      const stored = await page.evaluate(() =>
        JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage), location.href, history.state]),
      );
      expect(stored).not.toContain(secret);
      expect(await axeViolations(page)).toEqual([]);
      // The README's picture hides the secret (blurred), worthless as it is once this server stops.
      await page.getByTestId('trigger-secret').evaluate((element) => {
        (element as HTMLElement).style.filter = 'blur(5px)';
      });
      await screenshot(page, 'trigger-secret-dark');
      const triggerId = hookUrl.split('/').pop() ?? '';
      expect(await ok('GET', `/v1/triggers/${triggerId}`)).toMatchObject({
        name: 'deploys',
        source: 'webhook',
        filter: 'event.payload.env == "prod"',
        action: { kind: 'start', recipeId: gatedId, dashboardId, inputs: { branch: 'event.payload.branch' } },
      });

      // A delivery signed with that secret starts the recipe; one the filter rejects is skipped.
      const good = await deliver(hookUrl, secret, { env: 'prod', branch: 'release-7' });
      expect(good.status).toBe(202);
      const skipped = await deliver(hookUrl, secret, { env: 'staging', branch: 'x' });
      expect(skipped.status).toBe(202);

      await page.getByRole('link', { name: 'Open the trigger' }).click();
      await page.waitForURL(`**/triggers/${triggerId}`);
      const goodRow = page.locator(`tr[data-event="${good.deliveryId}"]`);
      await goodRow.locator('.badge', { hasText: 'started' }).waitFor({ timeout: 30_000 });
      // The secret is not shown again (checked once the trigger's own page is there: the list, lazy
      // routes, may stay on screen a moment after the URL changed).
      expect(await page.content()).not.toContain(secret);
      const events = (await ok('GET', `/v1/triggers/${triggerId}/events`)).events as Array<{
        deliveryId: string;
        firing: { executionId: string | null } | null;
      }>;
      const executionId = events.find((e) => e.deliveryId === good.deliveryId)?.firing?.executionId ?? '';
      expect(executionId).not.toBe('');
      expect((await ok('GET', `/v1/executions/${executionId}`)).inputs).toEqual({ branch: 'release-7' });
      const link = goodRow.getByRole('link', { name: /^execution / });
      expect(await link.getAttribute('href')).toBe(`/executions/${executionId}`);
      const skippedRow = page.locator(`tr[data-event="${skipped.deliveryId}"]`);
      await skippedRow.locator('.badge', { hasText: 'skipped' }).waitFor({ timeout: 30_000 });
      expect(await skippedRow.textContent()).toMatch(/filter/i);
      expect(await axeViolations(page)).toEqual([]);

      // Disabled from the page: the API agrees.
      await page.getByRole('button', { name: 'Disable' }).click();
      await expect.poll(() => page.getByTestId('trigger-state').textContent(), { timeout: 10_000 }).toBe('disabled');
      expect((await ok('GET', `/v1/triggers/${triggerId}`)).enabled).toBe(false);
      await page.setViewportSize({ width: 1280, height: 1100 });
      await page.emulateMedia({ colorScheme: 'light' });
      await screenshot(page, 'trigger');
      await link.click();
      await page.waitForURL(`**/executions/${executionId}`);

      // Back on the list, the trigger is there and the secret is gone for good.
      await page.goto(`/triggers?workspace=${workspaceId}`);
      await page.locator(`li[data-trigger="${triggerId}"]`).waitFor();
      expect(await page.getByTestId('secret-once').count()).toBe(0);
      expect(await page.content()).not.toContain(secret);
      await screenshot(page, 'triggers');
      await page.close();
    },
  );

  it(
    'a GitHub trigger that wakes waiting steps, made from ' +
      'the page, has no secret and listens at the App’s webhook',
    async () => {
      const page = await open(`/triggers?workspace=${workspaceId}`);
      await page.getByRole('button', { name: 'New trigger' }).click();
      const form = page.getByRole('region', { name: 'New trigger' });
      await form.getByLabel('Name', { exact: true }).fill('pushes wake deploys');
      await form.getByRole('radio', { name: /GitHub event/ }).check();
      await form.getByLabel('Event name', { exact: true }).fill('push');
      await form.getByRole('radio', { name: /Wake waiting/ }).check();
      await form.getByLabel('Event the wait steps wait for', { exact: true }).fill('deploy');
      await form.getByRole('button', { name: 'Create trigger' }).click();
      await page.waitForURL(/\/triggers\/[0-9a-f-]{36}$/, { timeout: 15_000 });
      const id = new URL(page.url()).pathname.split('/')[2] ?? '';
      expect(await ok('GET', `/v1/triggers/${id}`)).toMatchObject({
        name: 'pushes wake deploys',
        source: 'github',
        event: 'push',
        filter: null,
        enabled: true,
        action: { kind: 'wake', event: 'deploy' },
      });
      expect(await page.getByTestId('hook-url').textContent()).toBe(`${app.url}/v1/hooks/github`);
      expect(await page.getByTestId('secret-once').count()).toBe(0);
      expect(await page.locator('main').textContent()).toContain('wakes wait steps waiting for “deploy”');
      expect(await axeViolations(page)).toEqual([]);

      // Edited to start a recipe instead: the recipe and dashboard offered first are the ones sent.
      const edit = page.getByRole('region', { name: 'Edit' });
      await edit.getByRole('radio', { name: /Start a recipe/ }).check();
      const recipe = await edit
        .getByLabel('Recipe', { exact: true })
        .evaluate((select) => (select as HTMLSelectElement).selectedOptions[0]?.textContent);
      await edit.getByRole('button', { name: 'Save changes' }).click();
      await expect
        .poll(() => page.locator('main').textContent(), { timeout: 10_000 })
        .toContain(`starts ${recipe} in Ops board`);
      expect((await ok('GET', `/v1/triggers/${id}`)).action).toEqual({
        kind: 'start',
        recipeId: recipe === 'gated' ? gatedId : quickId,
        dashboardId,
        inputs: {},
      });
      await page.close();
    },
  );

  it('a change the server refuses (409) shows its reason; a rename alone does not send the action again', async () => {
    const own = await ok('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Old board' });
    const spare = await ok('POST', `/v1/workspaces/${workspaceId}/dashboards`, { name: 'Spare board' });
    const trigger = await ok('POST', `/v1/workspaces/${workspaceId}/triggers`, {
      name: 'old',
      source: 'webhook',
      action: { kind: 'start', recipeId: quickId, dashboardId: own.id },
    });
    const page = await open(`/triggers/${trigger.id}`);
    const edit = page.getByRole('region', { name: 'Edit' });
    await edit.getByLabel('Dashboard', { exact: true }).selectOption({ label: 'Spare board' });
    // Archived by someone else while the page is open: moving the trigger there is refused.
    await ok('PATCH', `/v1/dashboards/${spare.id}`, { archived: true });
    await edit.getByRole('button', { name: 'Save changes' }).click();
    const refused = await call('PATCH', `/v1/triggers/${trigger.id}`, {
      action: { kind: 'start', recipeId: quickId, dashboardId: spare.id, inputs: {} },
    });
    expect(refused.status).toBe(409);
    await expect
      .poll(() => edit.getByRole('alert').textContent(), { timeout: 10_000 })
      .toBe(`Refused: ${refused.body.error.message as string}`);
    expect((await ok('GET', `/v1/triggers/${trigger.id}`)).action.dashboardId).toBe(own.id);
    // Its own dashboard archived too: a rename still saves, since the unchanged action is not sent
    // (a start action sent again is checked again, and refused on an archived dashboard).
    await ok('PATCH', `/v1/dashboards/${own.id}`, { archived: true });
    await edit.getByLabel('Dashboard', { exact: true }).selectOption({ label: 'Old board' });
    await edit.getByLabel('Name', { exact: true }).fill('old, renamed');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('heading', { name: /old, renamed/ }).waitFor({ timeout: 10_000 });
    expect((await ok('GET', `/v1/triggers/${trigger.id}`)).name).toBe('old, renamed');

    // Deleted from its page: back on the list without it; the API agrees.
    await page.getByRole('button', { name: 'Delete trigger' }).click();
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await page.waitForURL((url) => url.pathname === '/triggers');
    await page.getByRole('button', { name: 'New trigger' }).waitFor();
    expect(await page.locator(`li[data-trigger="${trigger.id}"]`).count()).toBe(0);
    expect((await call('GET', `/v1/triggers/${trigger.id}`)).status).toBe(404);

    // The form at 375 px: nothing wider than the screen.
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole('button', { name: 'New trigger' }).click();
    await page.getByRole('region', { name: 'New trigger' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await screenshot(page, 'trigger-new-narrow');
    await page.close();
  });
});
