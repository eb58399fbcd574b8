/**
 * `npm run bench:console`: how fast the console's live dashboard is for a person, against a bare page
 * (the same editor, CodeMirror 6 + y-codemirror.next, on bare Hocuspocus: no sign-in, no console, no
 * policy, no persistence) measured the same way in the same script and the same Chromium:
 * - first live render: from the start of a page navigation to the note's text on screen (the page's
 *   own clock: `performance.now()` when a MutationObserver first sees it);
 * - keystroke: a key pressed in one page until it shows in another page's editor (keydown time in
 *   the first, mutation time in the second; both `performance.timeOrigin + now()`, one machine clock).
 * Also the dashboard route's initial JavaScript (gzipped; the budget is 200 KB, checked by
 * test/browser/bundle-budget.test.ts). Prints a table, writes bench/results/console.json. Not a test.
 */
import { spawn } from 'node:child_process';
import { createReadStream, existsSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { createInterface } from 'node:readline';
import { HocuspocusProvider } from '@hocuspocus/provider';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import * as Y from 'yjs';
import { recordScripts } from '../test/browser/support/initial-js.ts';
import { apiAs, signIn, startConsole } from '../test/browser/support/index.ts';
import { percentile, round, writeResults } from './support/common.ts';

const renders = Number(process.env.BENCH_RENDERS ?? 15);
const keystrokes = Number(process.env.BENCH_KEYSTROKES ?? 150);
const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
const warmup = 10;

/** One side of the comparison: how to open its page and where its editor and seeded text are. */
interface Subject {
  readonly name: 'baton' | 'bare';
  readonly url: string;
  /** The element that holds the seeded text once the document is rendered. */
  readonly rendered: string;
  readonly seeded: string;
  readonly context: () => Promise<BrowserContext>;
  /** Opens the page with its editor ready for typing. */
  readonly openEditor: (page: Page) => Promise<void>;
}

/** Navigations to the page, each in a page of an already warm context: time to the seeded text. */
async function firstRenders(subject: Subject, count: number): Promise<number[]> {
  const context = await subject.context();
  const samples: number[] = [];
  for (let i = 0; i < count + 2; i++) {
    const page = await context.newPage();
    await page.addInitScript(
      ({ selector, text }) => {
        const seen = () => {
          const element = document.querySelector(selector);
          if (element === null || !(element.textContent ?? '').includes(text)) return;
          (window as unknown as { firstRender: number }).firstRender = performance.now();
          observer.disconnect();
        };
        const observer = new MutationObserver(seen);
        observer.observe(document, { subtree: true, childList: true, characterData: true });
      },
      { selector: subject.rendered, text: subject.seeded },
    );
    await page.goto(subject.url);
    const at = await page.waitForFunction(
      () => (window as unknown as { firstRender?: number }).firstRender,
      undefined,
      { timeout: 60_000 },
    );
    // The first two warm the cache (hashed assets are cached for good, as for a returning person).
    if (i >= 2) samples.push(Number(await at.jsonValue()));
    await page.close();
  }
  await context.close();
  return samples;
}

/** Keys pressed in one page until they show in another's editor, one at a time. */
async function keystrokeLatencies(subject: Subject, count: number): Promise<number[]> {
  const [writerContext, readerContext] = [await subject.context(), await subject.context()];
  const [writer, reader] = [await writerContext.newPage(), await readerContext.newPage()];
  await Promise.all([subject.openEditor(writer), subject.openEditor(reader)]);
  await writer.evaluate(() => {
    const sent: number[] = [];
    (window as unknown as { sent: number[] }).sent = sent;
    document.addEventListener('keydown', () => sent.push(performance.timeOrigin + performance.now()), {
      capture: true,
    });
  });
  await reader.evaluate(() => {
    const content = document.querySelector('.cm-content') as HTMLElement;
    const seen: Record<number, number> = {};
    (window as unknown as { seen: Record<number, number> }).seen = seen;
    const check = () => {
      const length = (content.textContent ?? '').length;
      seen[length] ??= performance.timeOrigin + performance.now();
    };
    new MutationObserver(check).observe(content, { subtree: true, childList: true, characterData: true });
  });
  const base = await reader.evaluate(() => (document.querySelector('.cm-content')?.textContent ?? '').length);
  const samples: number[] = [];
  for (let i = 0; i < count + warmup; i++) {
    await writer.keyboard.press('x');
    const target = base + i + 1;
    await reader.waitForFunction(
      (n) => (window as unknown as { seen: Record<number, number> }).seen[n] !== undefined,
      target,
      { timeout: 30_000, polling: 'raf' },
    );
    const [sent, seen] = [
      await writer.evaluate((n) => (window as unknown as { sent: number[] }).sent[n], i),
      await reader.evaluate((n) => (window as unknown as { seen: Record<number, number> }).seen[n], target),
    ];
    if (i >= warmup && sent !== undefined && seen !== undefined) samples.push(seen - sent);
    await writer.waitForTimeout(20);
  }
  await writerContext.close();
  await readerContext.close();
  return samples;
}

/** Serves the built bare page (its own folder) to the browser. */
async function serveStatic(root: string): Promise<Server> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    const file = join(root, path === '/' ? 'index.html' : path);
    if (!file.startsWith(root) || !existsSync(file)) return void res.writeHead(404).end();
    res.writeHead(200, {
      'content-type': types[extname(file)] ?? 'application/octet-stream',
      'cache-control': path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return server;
}

/** Bare Hocuspocus in its own process (bench/support/realtime-server.ts, `bare`). */
async function startBareHocuspocus(): Promise<{ url: string; stop(): void }> {
  const child = spawn(
    process.execPath,
    [
      '--experimental-strip-types',
      '--disable-warning=ExperimentalWarning',
      'bench/support/realtime-server.ts',
      'bare',
      '1',
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const line = (await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next()).value as string;
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => void child.stdin.write('stop\n') };
}

const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)), n: sorted.length };
};

// The console: the real server (its own database, the development identity provider), Ada signed in.
// Many sign-ins and page loads in a few minutes from one address: the rate limits stay out of the way.
const unlimited = {
  BATON_RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
  BATON_RATE_LIMIT_SESSION_PER_MINUTE: '1000000',
  BATON_RATE_LIMIT_AUTH_PER_MINUTE: '1000000',
  BATON_RATE_LIMIT_TOKEN_PER_MINUTE: '1000000',
};
// A fresh data directory (and embedded Postgres) each run: people and dashboards of an earlier run
// would otherwise meet the development identity provider's new accounts.
const dataDir = join(process.cwd(), '.data/bench-console/baton');
rmSync(dataDir, { recursive: true, force: true });
const baton = await startConsole({ dataDir, env: unlimited });
const bare = await startBareHocuspocus();
const bareOut = join(process.cwd(), '.data/bench-console-bare');
await build({
  root: 'bench/console-bare',
  logLevel: 'warn',
  build: { outDir: bareOut, emptyOutDir: true, modulePreload: { polyfill: false } },
});
const bareSite = await serveStatic(bareOut);
try {
  const ada = await apiAs(baton, 'ada@example.com');
  const workspace = await ada.createWorkspace('Bench');
  const dashboard = await ada.createDashboard(workspace.id, 'Bench board');
  const seeded = 'Seeded note text for the benchmark.';
  await ada.request('POST', `/v1/dashboards/${dashboard.id}/items`, { kind: 'note', title: 'Plan', body: seeded });
  const signedIn = async () => {
    const page = await baton.newPage();
    await signIn(page, 'ada@example.com', { name: 'Ada Lovelace', returnTo: '/welcome' });
    await page.close();
    return page.context();
  };
  const note = 'article.board-item[aria-label="note: Plan"]';
  const batonSubject: Subject = {
    name: 'baton',
    url: `${baton.url}/dashboards/${dashboard.id}`,
    rendered: note,
    seeded,
    context: signedIn,
    openEditor: async (page) => {
      await page.goto(`${baton.url}/dashboards/${dashboard.id}`);
      await page.locator(note).getByRole('button', { name: 'Edit' }).click();
      await page.locator(`${note} .cm-content`).waitFor({ timeout: 60_000 });
      await page.locator(`${note} .cm-content`).click();
      await page.keyboard.press('End');
    },
  };
  // The bare document is seeded by a client that stays connected (bare Hocuspocus keeps nothing).
  const seedDoc = new Y.Doc();
  const wsUrl = bare.url.replace(/^http/, 'ws');
  const seeder = new HocuspocusProvider({ url: wsUrl, name: 'bench-note', document: seedDoc });
  await new Promise<void>((resolve) => seeder.on('synced', () => resolve()));
  seedDoc.getText('body').insert(0, seeded);
  const bareUrl =
    `http://127.0.0.1:${(bareSite.address() as AddressInfo).port}` + `/?ws=${encodeURIComponent(wsUrl)}&doc=bench-note`;
  const bareSubject: Subject = {
    name: 'bare',
    url: bareUrl,
    rendered: '.cm-content',
    seeded,
    context: () => baton.browser.newContext(),
    openEditor: async (page) => {
      await page.goto(bareUrl);
      await page.locator('body[data-synced="true"] .cm-content').waitFor({ timeout: 60_000 });
      await page.locator('.cm-content').click();
      await page.keyboard.press('Control+End');
    },
  };

  // The dashboard route's initial JavaScript: what a fresh page fetched until the note showed.
  const first = await (await signedIn()).newPage();
  const recording = recordScripts(first);
  await first.goto(batonSubject.url);
  await first
    .locator(note)
    .getByText(seeded)
    .waitFor({ timeout: 60_000 })
    .catch(async (error: unknown) => {
      throw new Error(
        `the dashboard never showed its note: ${first.url()}\n` +
          `${(await first.locator('body').innerText()).slice(0, 1500)}`,
        { cause: error },
      );
    });
  const scripts = recording.stop();
  const initialJsKB = round(scripts.gzipBytes() / 1024);
  await first.context().close();

  const results: Record<'baton' | 'bare', { render: number[]; keystroke: number[] }> = {
    baton: { render: [], keystroke: [] },
    bare: { render: [], keystroke: [] },
  };
  for (let r = 0; r < rounds; r++) {
    for (const subject of [bareSubject, batonSubject]) {
      results[subject.name].render.push(...(await firstRenders(subject, renders)));
      results[subject.name].keystroke.push(...(await keystrokeLatencies(subject, keystrokes)));
      console.error(`round ${r + 1}: ${subject.name} done`);
    }
  }
  seeder.destroy();
  const ours = {
    firstRenderMs: summary(results.baton.render),
    keystrokeMs: summary(results.baton.keystroke),
    initialJsKB,
    initialJsFiles: scripts.files,
  };
  const baseline = { firstRenderMs: summary(results.bare.render), keystrokeMs: summary(results.bare.keystroke) };
  const ratios = {
    firstRenderP50: round(ours.firstRenderMs.p50 / baseline.firstRenderMs.p50),
    firstRenderP99: round(ours.firstRenderMs.p99 / baseline.firstRenderMs.p99),
    keystrokeP50: round(ours.keystrokeMs.p50 / baseline.keystrokeMs.p50),
    keystrokeP99: round(ours.keystrokeMs.p99 / baseline.keystrokeMs.p99),
  };
  console.table({
    'first live render (ms)': {
      baton_p50: ours.firstRenderMs.p50,
      baton_p99: ours.firstRenderMs.p99,
      bare_p50: baseline.firstRenderMs.p50,
      bare_p99: baseline.firstRenderMs.p99,
      ratio_p50: ratios.firstRenderP50,
      ratio_p99: ratios.firstRenderP99,
    },
    'keystroke to other page (ms)': {
      baton_p50: ours.keystrokeMs.p50,
      baton_p99: ours.keystrokeMs.p99,
      bare_p50: baseline.keystrokeMs.p50,
      bare_p99: baseline.keystrokeMs.p99,
      ratio_p50: ratios.keystrokeP50,
      ratio_p99: ratios.keystrokeP99,
    },
  });
  console.log(
    `dashboard route's initial JavaScript: ${initialJsKB} KB gzipped (budget 200 KB), ${scripts.files.length} files`,
  );
  console.log(`keystroke p99 ratio ${ratios.keystrokeP99} (budget 1.5)`);
  writeResults('console', {
    ours,
    baselines: { bare: baseline },
    ratios,
    budgets: { initialJsKB: 200, keystrokeP99Ratio: 1.5 },
  });
} finally {
  bareSite.close();
  bare.stop();
  await baton.stop();
}
