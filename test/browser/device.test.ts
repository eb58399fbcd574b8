import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, screenshot, startConsole, type Console } from './support/index.ts';

/**
 * Device sign-in (RFC 8628) approved in the console's /device page by a person in real Chromium:
 * the test plays the terminal (asks for a code, polls), the person opens the link the terminal
 * shows, signs in on the way, and approves or denies; the terminal's token then works, or not.
 */
let baton: Console;
let context: BrowserContext;
const grantType = 'urn:ietf:params:oauth:grant-type:device_code';

beforeAll(async () => {
  baton = await startConsole();
  // bypassCSP only so axe can be injected; the page itself runs under the console's CSP otherwise.
  context = await baton.browser.newContext({
    baseURL: baton.url,
    viewport: { width: 1280, height: 900 },
    bypassCSP: true,
  });
});
afterAll(async () => {
  await context?.close();
  await baton?.stop();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked by the assertions that read them
type Answer = { status: number; body: any };

/** The terminal's side: form-encoded, as RFC 8628 has it. */
async function device(path: string, fields: Record<string, string>): Promise<Answer> {
  const res = await fetch(`${baton.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: await res.json() };
}
const startCode = (name: string) => device('/auth/device/code', { client_id: 'baton-cli', client_name: name });
const poll = (deviceCode: string) =>
  device('/auth/device/token', { grant_type: grantType, device_code: deviceCode, client_id: 'baton-cli' });

async function openPage(dark = false): Promise<Page> {
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme: dark ? 'dark' : 'light' });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  return page;
}

describe('/device', () => {
  it(
    'a signed-out person follows the terminal’s link, signs in, ' +
      'comes back to the code and approves; the terminal’s token works',
    async () => {
      const code = await startCode('ada-laptop');
      expect(code.status).toBe(200);
      expect((await poll(code.body.device_code)).body.error).toBe('authorization_pending');

      const page = await openPage(true);
      await page.goto(code.body.verification_uri_complete);
      // Signed out: the sign-in page, which brings the person back to this very link.
      await page.waitForURL((url) => url.pathname === '/sign-in');
      expect(new URL(page.url()).searchParams.get('returnTo')).toBe(`/device?code=${code.body.user_code}`);
      await page.getByRole('link', { name: 'Sign in' }).click();
      await page.locator('input[name="email"]').fill('ada@example.com');
      await page.locator('input[name="name"]').fill('Ada');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/device', { timeout: 30_000 });

      await expect
        .poll(() => page.getByRole('heading', { name: 'Sign in a device?' }).isVisible(), { timeout: 10_000 })
        .toBe(true);
      await expect.poll(() => page.getByText('“ada-laptop”').isVisible()).toBe(true);
      expect(await page.getByText(code.body.user_code).isVisible()).toBe(true);
      for (const scope of ['read', 'write', 'control', 'admin'])
        expect(await page.getByRole('checkbox', { name: new RegExp(`^${scope}`) }).isChecked()).toBe(true);
      const violations = await axeViolations(page);
      expect(violations.map((v) => `${v.id} (${v.impact}) ${v.help} at ${v.targets.join(', ')}`)).toEqual([]);
      await screenshot(page, 'device-approve');

      // The person grants no admin, by keyboard: focus the checkbox, Space, then Approve with Enter.
      await page.getByRole('checkbox', { name: /^admin/ }).focus();
      await page.keyboard.press('Space');
      await page.getByRole('button', { name: 'Approve' }).focus();
      await page.keyboard.press('Enter');
      await expect
        .poll(() => page.getByText('You can return to your terminal').isVisible(), { timeout: 10_000 })
        .toBe(true);
      expect(await page.getByRole('heading', { name: 'Device signed in' }).isVisible()).toBe(true);

      // The terminal's next poll gets the token: Ada's, without admin, and only once.
      const granted = await pollUntilDecided(code.body.device_code);
      expect(granted).toMatchObject({ status: 200, body: { token_type: 'Bearer', scope: 'read write control' } });
      const me = await fetch(`${baton.url}/v1/me`, {
        headers: { authorization: `Bearer ${granted.body.access_token}` },
      });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({
        user: { email: 'ada@example.com' },
        authentication: { via: 'token', scopes: ['read', 'write', 'control'] },
      });
      expect((await pollUntilDecided(code.body.device_code)).body.error).toBe('invalid_grant');
      await page.close();
    },
  );

  it(
    'a code typed by hand can be denied, and the terminal ' + 'is told; an unknown code is said to be unknown',
    async () => {
      const page = await openPage();
      await page.goto('/device');
      const input = page.getByLabel('Code');
      await input.fill('CCCC-CCCC');
      await input.press('Enter');
      await expect
        .poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 })
        .toContain('No sign-in is waiting for this code');

      const code = await startCode('build-box');
      // Typed as people type: lower case, no dash.
      await input.fill(code.body.user_code.toLowerCase().replace('-', ''));
      await input.press('Enter');
      await expect.poll(() => page.getByText('“build-box”').isVisible(), { timeout: 10_000 }).toBe(true);
      await page.getByRole('button', { name: 'Deny' }).click();
      await expect
        .poll(() => page.getByRole('heading', { name: 'Sign-in denied' }).isVisible(), { timeout: 10_000 })
        .toBe(true);
      expect((await pollUntilDecided(code.body.device_code)).body.error).toBe('access_denied');

      // The same link again: the code is used up, and the page says so.
      await page.goto(code.body.verification_uri_complete);
      await expect.poll(() => page.getByRole('alert').textContent(), { timeout: 10_000 }).toContain('already denied');
      await page.close();
    },
  );
});

/** Polls as a terminal does, honouring the interval and slow_down, until the answer is no longer pending. */
async function pollUntilDecided(deviceCode: string): Promise<Answer> {
  let interval = 5;
  for (let attempt = 0; attempt < 8; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, interval * 1000 + 300));
    const answer = await poll(deviceCode);
    if (answer.body.error === 'slow_down') interval += 5;
    else if (answer.body.error !== 'authorization_pending') return answer;
  }
  throw new Error('the device sign-in stayed pending');
}
