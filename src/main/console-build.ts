import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger as PinoLogger } from 'pino';
import { ConsoleFiles } from '../adapters/node-console/console-files.ts';

/** The repository (this file is src/main/console-build.ts). */
const repository = fileURLToPath(new URL('../../', import.meta.url));

/** Where the console is built to and served from. */
export const consoleDist = join(repository, 'web', 'dist');

/** Written next to the build: the hash of the sources it was built from. */
const hashFile = '.build-hash';

/**
 * The hash of what the console is built from: web/ (but its build), client/ and the lockfile (a
 * changed dependency changes the bundle). Paths and contents, in a fixed order.
 */
export async function consoleSourceHash(root = repository): Promise<string> {
  const hash = createHash('sha256');
  const files: string[] = [];
  const pending = [join(root, 'web'), join(root, 'client')];
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      continue; // a missing folder hashes as empty
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        // Not the build, nor a build being staged (web/dist.building-<pid>), nor the build lock.
        if (!entry.name.startsWith('dist') && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
          pending.push(path);
      } else if (entry.isFile()) files.push(path);
    }
  }
  files.push(join(root, 'package-lock.json'));
  for (const file of files.map((f) => relative(root, f)).sort()) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(root, file)).catch(() => Buffer.alloc(0)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The hash the build in `dist` was made from, or null when there is no (finished) build. */
async function builtHash(dist: string): Promise<string | null> {
  try {
    await stat(join(dist, 'index.html'));
    return (await readFile(join(dist, hashFile), 'utf8')).trim();
  } catch {
    return null;
  }
}

/**
 * `npm start` serves the console from web/dist, building it first when it is missing or was built
 * from other sources than the checkout's (a `git pull` since). The API does not wait: it serves at
 * once, the console's page says "being built" meanwhile, and a failed build is logged (an older
 * build, if any, is still served; else the page says the console is not built).
 */
export function serveConsole(
  logger: PinoLogger,
  options: { readonly dist?: string; readonly build?: boolean } = {},
): { readonly files: ConsoleFiles; readonly built: Promise<void> } {
  const dist = options.dist ?? consoleDist;
  const files = new ConsoleFiles(dist);
  if (options.build === false) return { files, built: Promise.resolve() };
  const built = ensureBuilt(dist, files, logger).catch((error: unknown) => {
    files.failed(error instanceof Error ? error.message : String(error));
    logger.error(
      { err: error },
      'the web console could not be built; the API is served, ' +
        'the console page says it is not built (run npm run build:web)',
    );
  });
  return { files, built };
}

/**
 * Builds the console into `dist` unless it was built from the current sources (`force`: anyway),
 * recording their hash beside it so `npm start` knows it is current.
 */
export async function ensureBuilt(
  dist: string,
  files: ConsoleFiles,
  logger: PinoLogger,
  options: { readonly force?: boolean } = {},
): Promise<void> {
  // An install with the build and not its sources (the Docker image) serves the build as it is.
  if (
    !(await stat(join(repository, 'web', 'index.html')).then(
      () => true,
      () => false,
    ))
  ) {
    if (
      (await builtHash(dist)) === null &&
      !(await stat(join(dist, 'index.html')).then(
        () => true,
        () => false,
      ))
    )
      throw new Error('neither web/ nor web/dist is here');
    return;
  }
  const wanted = await consoleSourceHash();
  if (options.force !== true && (await builtHash(dist)) === wanted) return;
  const lock = join(repository, 'web', '.build-lock');
  // One build at a time (several servers started at once from one checkout): the others wait for it.
  while (true) {
    try {
      await mkdir(lock);
      break;
    } catch {
      const since = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      // A lock older than any build is left by a process that died mid-build.
      if (since > 300_000) await rm(lock, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 500));
      if ((await builtHash(dist)) === wanted) return;
    }
  }
  try {
    if (options.force !== true && (await builtHash(dist)) === wanted) return;
    files.building();
    const started = Date.now();
    logger.info(
      { dist },
      (await builtHash(dist)) === null
        ? 'building the web console (web/dist is missing)'
        : 'rebuilding the web console (its sources changed since the last build)',
    );
    // Built beside, then swapped in: requests meanwhile get the older build whole, or the 503 page.
    // Holding the lock, nobody else is building: stagings left by a process that died go too.
    const staging = `${dist}.building-${process.pid}`;
    const parent = dirname(dist);
    const leftovers = (await readdir(parent)).filter((name) => name.startsWith(`${basename(dist)}.building-`));
    await Promise.all(leftovers.map((name) => rm(join(parent, name), { recursive: true, force: true })));
    await runVite(staging).catch(async (error: unknown) => {
      await rm(staging, { recursive: true, force: true });
      throw error;
    });
    await writeFile(join(staging, hashFile), `${wanted}\n`);
    await rm(dist, { recursive: true, force: true });
    await rename(staging, dist);
    files.ready();
    logger.info({ dist, ms: Date.now() - started }, 'built the web console');
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

/** `vite build` in a child process (Vite is a development dependency; the server does not load it). */
function runVite(outDir: string): Promise<void> {
  const vite = join(repository, 'node_modules', 'vite', 'bin', 'vite.js');
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        vite,
        'build',
        '--config',
        join(repository, 'web', 'vite.config.ts'),
        '--outDir',
        outDir,
        '--emptyOutDir',
        '--logLevel',
        'warn',
      ],
      {
        cwd: repository,
        stdio: ['ignore', 'pipe', 'pipe'],
        // The served console is always React's production build: an inherited NODE_ENV (vitest sets
        // `test`) would make Vite build the development one (larger, slower, its warnings on).
        env: { ...process.env, NODE_ENV: 'production' },
      },
    );
    // Vite must not outlive a server that exits mid-build.
    const stop = () => child.kill();
    process.once('exit', stop);
    child.on('exit', () => process.off('exit', stop));
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', (error) =>
      reject(new Error(`could not run vite (${error.message}); is it installed (npm install)?`)),
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`vite build exited with ${code}:\n${output.slice(-4000)}`)),
    );
  });
}
