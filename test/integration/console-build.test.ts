import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/adapters/pino/logger.ts';
import { consoleSourceHash, serveConsole } from '../../src/main/console-build.ts';
import { captureLogs } from '../support/log-capture.ts';

// What `npm start` does with the console: build it when there is no build (the API meanwhile shows
// "being built"), record the sources' hash, and not build again while the sources are unchanged.
// (It hashes this checkout's web/ and client/: editing them while it runs changes what it expects.)
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'baton-console-build-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('building the console at start', () => {
  const logs = captureLogs();

  it('builds a missing console, says so, and serves it once built', async () => {
    const dist = join(root, 'dist');
    // What a server killed mid-build left behind.
    await mkdir(join(root, 'dist.building-999999', 'assets'), { recursive: true });
    await writeFile(join(root, 'dist.building-999999', 'assets', 'half.js'), 'half');
    const { files, built } = serveConsole(createLogger({ level: 'info', format: 'json', destination: logs.stream }), {
      dist,
    });
    const meanwhile = await files.page();
    // Still hashing the sources, or building: either way no half-written page is served.
    expect('html' in meanwhile ? 'html' : meanwhile.reason).toMatch(/^(building|missing)$/);
    await built;
    const page = await files.page();
    expect('html' in page).toBe(true);
    expect(new TextDecoder().decode('html' in page ? page.html : new Uint8Array())).toContain('<div id="root"></div>');
    expect((await readFile(join(dist, '.build-hash'), 'utf8')).trim()).toBe(await consoleSourceHash());
    const assets = await readdir(join(dist, 'assets'));
    const entry = assets.find((name) => /^index-[\w-]+\.js$/.test(name));
    expect(entry).toBeDefined();
    // React's production build, though this test runs with NODE_ENV=test (the development build
    // carries its warnings, such as the one below, and is twice the size).
    expect(await readFile(join(dist, 'assets', entry ?? ''), 'utf8')).not.toContain('Invalid hook call');
    expect(logs.lines().map((line) => line.msg)).toEqual(
      expect.arrayContaining(['building the web console (web/dist is missing)', 'built the web console']),
    );
    // Nothing left beside it (the staging folder was swapped in, a dead build's removed).
    expect((await readdir(root)).filter((name) => name.startsWith('dist.building'))).toEqual([]);
  }, 180_000);

  it('does not build again when the sources have not changed', async () => {
    const before = logs.lines().length;
    const { files, built } = serveConsole(createLogger({ level: 'info', format: 'json', destination: logs.stream }), {
      dist: join(root, 'dist'),
    });
    await built;
    expect(
      logs
        .lines()
        .slice(before)
        .map((line) => line.msg),
    ).not.toContain('built the web console');
    expect('html' in (await files.page())).toBe(true);
  });
});
