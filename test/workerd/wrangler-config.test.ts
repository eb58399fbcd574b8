import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unstable_readConfig } from 'wrangler';
import { defaultOutfile } from '../../deploy/cloudflare/build.ts';
import { configVariables } from '../../src/app/config.ts';
import { buildWorkerBundle } from '../support/workerd.ts';

// deploy/cloudflare/wrangler.toml as wrangler itself sees it: the real file, unchanged, next to a
// freshly built bundle at the place its `main` names, dry-run deployed (`wrangler deploy --dry-run`
// does everything but the upload: reads and validates the configuration, collects the modules and
// the source map, prints the bindings). Offline and without an account: HOME is a temporary
// directory (no stored login), no CLOUDFLARE_* variable reaches wrangler, metrics are off, and the
// banner, the only update check on a clean run, is hidden.

/** The configuration as wrangler normalises it (the part this test reads). */
interface WranglerConfigLike {
  readonly durable_objects: {
    readonly bindings: ReadonlyArray<{
      readonly name: string;
      readonly class_name: string;
      readonly script_name?: string;
    }>;
  };
  readonly migrations: ReadonlyArray<{
    readonly tag: string;
    readonly new_classes?: readonly string[];
    readonly new_sqlite_classes?: readonly string[];
  }>;
  readonly vars: Readonly<Record<string, unknown>>;
  readonly queues: {
    readonly producers?: ReadonlyArray<{ readonly binding: string; readonly queue: string }>;
    readonly consumers?: ReadonlyArray<{ readonly queue: string; readonly dead_letter_queue?: string }>;
  };
  readonly triggers: { readonly crons?: readonly string[] };
}

/** One row of the bindings table a deploy prints, e.g. `env.JOBS (baton-jobs)  Queue`. */
interface PrintedBinding {
  readonly name: string;
  readonly target: string;
  readonly resource: string;
}

/** Secrets go through `wrangler secret put`; as plain vars they would show in the dashboard and in git. */
const secrets = [
  'BATON_CREDENTIAL_KEYS',
  'OIDC_CLIENT_SECRET',
  'BATON_SANDBOX_TOKEN',
  'BATON_FLY_API_TOKEN',
  'BATON_GOOGLE_CLIENT_SECRET',
  'DATABASE_URL',
];

const deployDir = resolve('deploy/cloudflare');
const wranglerBin = join(dirname(createRequire(import.meta.url).resolve('wrangler/package.json')), 'bin/wrangler.js');

let work: string;
let configDir: string;
let bundlePath: string;
let run: { code: number | null; stdout: string; stderr: string };
let config: WranglerConfigLike;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'baton-wrangler-'));
  // The bundle goes where `npm run build:cloudflare` puts it relative to the toml (dist/worker.js), so
  // the copied toml needs no edit: a `main` that disagrees with build.ts fails wrangler's run.
  // The toml sits at the repository's layout (deploy/cloudflare/) so its [assets] directory
  // (../../web/dist, the console's build) resolves to a stand-in build beside it.
  configDir = join(work, relative(process.cwd(), deployDir));
  const bundleDir = join(configDir, relative(deployDir, dirname(defaultOutfile)));
  bundlePath = join(bundleDir, 'worker.js');
  const home = join(work, 'home');
  const consoleBuild = join(work, 'web', 'dist');
  await Promise.all([mkdir(bundleDir, { recursive: true }), mkdir(home), mkdir(consoleBuild, { recursive: true })]);
  await Promise.all([
    copyFile(join(deployDir, 'wrangler.toml'), join(configDir, 'wrangler.toml')),
    writeFile(join(consoleBuild, 'index.html'), '<!doctype html><title>Baton</title>\n'),
  ]);
  // A leftover next to the bundle, of a kind wrangler would attach as a module unless told not to.
  await Promise.all([
    buildWorkerBundle(bundleDir),
    writeFile(join(bundleDir, 'notes.txt'), 'not part of the Worker\n'),
  ]);
  run = await wrangler(
    ['deploy', '--dry-run', '--outdir', join(work, 'out'), '-c', join(configDir, 'wrangler.toml')],
    home,
  );
  config = unstable_readConfig(
    { config: join(configDir, 'wrangler.toml') },
    { hideWarnings: true },
  ) as WranglerConfigLike;
});

afterAll(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

describe('deploy/cloudflare/wrangler.toml in wrangler', () => {
  it('passes a dry-run deploy: exit 0, no warning, no error', () => {
    // Warnings (an unknown or misspelled field, a Durable Object without a migration, …) and errors
    // go to stderr in a "Processing wrangler.toml configuration" block; a clean run writes none.
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).not.toMatch(/WARNING|ERROR|Processing .*configuration/);
    expect(run.stdout).toContain('--dry-run: exiting now.');
  });

  it('uploads our bundle as built, and nothing else', async () => {
    // no_bundle: wrangler does not rebundle (the file it would upload is ours, byte for byte), and
    // attaches no other module (not dist/notes.txt). It reads the linked source map too: a missing
    // one fails the run.
    const [uploaded, built, size] = await Promise.all([
      readFile(join(work, 'out', 'worker.js')),
      readFile(bundlePath),
      stat(bundlePath),
    ]);
    expect(uploaded.equals(built)).toBe(true);
    expect(run.stdout).not.toContain('Attaching additional modules');
    expect(run.stdout).toContain(`Total Upload: ${(size.size / 1024).toFixed(2)} KiB`);
  });

  it('binds the dashboard Durable Object, the job queue, Hyperdrive and the vars', () => {
    const bindings = printedBindings(run.stdout);
    expect(bindings).toContainEqual({ name: 'DASHBOARDS', target: 'DashboardObject', resource: 'Durable Object' });
    expect(bindings).toContainEqual({ name: 'JOBS', target: 'baton-jobs', resource: 'Queue' });
    expect(bindings).toContainEqual(expect.objectContaining({ name: 'HYPERDRIVE', resource: 'Hyperdrive Config' }));
    expect(bindings).toContainEqual({ name: 'BATON_ENV', target: '"production"', resource: 'Environment Variable' });
    const vars = bindings.filter((b) => b.resource === 'Environment Variable').map((b) => b.name);
    expect(vars).toEqual(
      expect.arrayContaining([
        'BATON_ENV',
        'BATON_PUBLIC_URL',
        'LOG_LEVEL',
        'BATON_SANDBOX_PROVIDER',
        'BATON_SANDBOX_URL',
      ]),
    );
    expect(vars.sort()).toEqual(Object.keys(config.vars).sort());
  });

  it('sets only Baton settings, each with a value Baton accepts, and no secret', () => {
    for (const [name, value] of Object.entries(config.vars)) {
      expect(secrets, `${name} is a secret: use wrangler secret put`).not.toContain(name);
      const variable = (
        configVariables as Record<string, { schema: { safeParse(v: unknown): { success: boolean } } } | undefined>
      )[name];
      expect(variable, `${name} is not a variable Baton reads (src/app/config.ts)`).toBeDefined();
      expect(variable?.schema.safeParse(value).success, `${name} = ${JSON.stringify(value)}`).toBe(true);
    }
  });

  it('consumes the queue it produces to, with a separate dead-letter queue, and ticks every minute', () => {
    const produced = config.queues.producers?.find((p) => p.binding === 'JOBS')?.queue;
    expect(produced).toBeDefined();
    const consumer = config.queues.consumers?.find((c) => c.queue === produced);
    expect(consumer).toBeDefined();
    expect(consumer?.dead_letter_queue).toBeDefined();
    expect(consumer?.dead_letter_queue).not.toBe(produced);
    expect(config.triggers.crons).toEqual(['* * * * *']);
  });

  it('names Durable Object classes the bundle exports, each created by a migration', async () => {
    // A dry run checks neither (Cloudflare rejects the upload): wrangler only warns when there are
    // no migrations at all, not when a migration or a binding names a class the bundle lacks.
    const exported = await bundleExports(bundlePath);
    expect(exported).toContain('default');
    const migrated = config.migrations.flatMap((m) => [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])]);
    const bound = config.durable_objects.bindings.filter((b) => b.script_name === undefined).map((b) => b.class_name);
    expect(bound).toContain('DashboardObject');
    for (const className of [...bound, ...migrated])
      expect(exported, `the bundle does not export ${className}`).toContain(className);
    for (const className of bound) expect(migrated, `no migration creates ${className}`).toContain(className);
  });
});

/** Runs wrangler's own bin with Node, as `npx wrangler` does, in `work`, with a minimal environment. */
function wrangler(
  args: readonly string[],
  home: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    TMPDIR: home,
    // Non-interactive: no prompts (metrics consent, login, agent skills), plain text output.
    CI: 'true',
    FORCE_COLOR: '0',
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    WRANGLER_HIDE_BANNER: 'true',
    WRANGLER_LOG_PATH: join(work, 'logs'),
  };
  return new Promise((done) => {
    execFile(process.execPath, [wranglerBin, ...args], { cwd: work, env, timeout: 50_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      done({ code, stdout: stripVTControlCharacters(stdout), stderr: stripVTControlCharacters(stderr) });
    });
  });
}

/** The rows of the "Your Worker has access to the following bindings" table. */
function printedBindings(stdout: string): PrintedBinding[] {
  const rows: PrintedBinding[] = [];
  for (const line of stdout.split('\n')) {
    const row = /^env\.(\w+) \((.*)\)\s{2,}(\S.*?)\s*$/.exec(line);
    if (row?.[1] !== undefined && row[2] !== undefined && row[3] !== undefined)
      rows.push({ name: row[1], target: row[2], resource: row[3] });
  }
  return rows;
}

/** The names the bundle's entry module exports, read by esbuild without bundling or running it. */
async function bundleExports(file: string): Promise<string[]> {
  const result = await build({
    entryPoints: [file],
    bundle: false,
    write: false,
    metafile: true,
    format: 'esm',
    outdir: join(work, 'exports'),
    logLevel: 'silent',
  });
  return Object.values(result.metafile.outputs).flatMap((output) => output.exports);
}
