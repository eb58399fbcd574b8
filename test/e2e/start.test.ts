import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { resolveConfig } from '../../src/app/config.ts';
import { createDashboard } from '../../src/app/dashboards/dashboards.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { sessionPrincipal } from '../../src/domain/access/principal.ts';
import { createPostgresAppContext } from '../../src/main/app-context.ts';
import { eventually } from '../support/eventually.ts';
import {
  postgresProcessesFor,
  spawnCommand,
  startPatienceMs,
  waitForStatus,
  type Spawned,
} from '../support/processes.ts';
import { connectClient, type RealtimeClient } from '../support/realtime-client.ts';
import { TestBrowser } from '../support/browser.ts';
import { loginUntilCallback } from '../support/identity.ts';
import { silentLogger } from '../support/silent-logger.ts';

// `npm start` as a newcomer runs it: no DATABASE_URL, so the embedded Postgres under BATON_DATA_DIR.
// Each test starts Baton (with its embedded Postgres) once or twice: its budget is a few start-up caps.
describe('npm start with the embedded database', { timeout: 4 * startPatienceMs }, () => {
  let dataDir: string;
  let running: Spawned | undefined;
  afterAll(async () => {
    if (running !== undefined && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
    }
    if (dataDir !== undefined) {
      // Never leave a cluster behind, even when an assertion failed half-way.
      for (const pid of postgresProcessesFor(dataDir))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  async function start(port: number): Promise<{ proc: Spawned }> {
    // The development identity provider listens too: give it a port known to be free (PORT + 1 may not be).
    let idpPort = await freePort();
    while (idpPort === port) idpPort = await freePort();
    const proc = spawnCommand('npm', ['start'], {
      DATABASE_URL: undefined,
      BATON_ENV: undefined,
      BATON_DATA_DIR: dataDir,
      PORT: String(port),
      BATON_DEV_IDP_PORT: String(idpPort),
      LOG_LEVEL: 'info',
      BATON_LOG_FORMAT: undefined,
    });
    running = proc;
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, startPatienceMs, proc);
    return { proc };
  }

  async function stop(proc: Spawned): Promise<{ code: number | string }> {
    proc.child.kill('SIGTERM');
    return { code: await proc.exited };
  }

  it('gets ready on the first start, prints its URL, and stops cleanly on SIGTERM', async () => {
    dataDir = await mkdtemp(join(process.cwd(), '.data', 'e2e-start-'));
    const port = await freePort();
    // Ready at all within the harness budget (start() waits for /readyz); speed is bench/'s business.
    const { proc } = await start(port);
    // It prints its public URL, and a person signs in from there: the development provider sends the
    // browser back to that same host (the login cookie is per host), and the callback signs them in.
    const printed = /Baton is ready at (http:\/\/[\w.:[\]-]+)/.exec(proc.output())?.[1];
    expect(printed).toBe(`http://localhost:${port}`);
    const browser = new TestBrowser();
    const callback = await loginUntilCallback(browser, printed ?? '', 'first-run@example.com');
    expect(new URL(callback).origin).toBe(printed);
    const signedIn = await browser.request(callback);
    expect(signedIn.status).toBe(302);
    expect(browser.cookie('baton_session')).toBeDefined();
    expect((await browser.request(`${printed}/v1/me`)).status).toBe(200);

    // Write something, to prove the second start keeps it.
    const creds = JSON.parse(await readFile(join(dataDir, 'postgres.json'), 'utf8')) as {
      user: string;
      password: string;
      database: string;
    };
    const pid = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
    const client = new pg.Client({
      host: '127.0.0.1',
      port: Number(pid[3]),
      user: creds.user,
      password: creds.password,
      database: creds.database,
    });
    await client.connect();
    await client.query('create table e2e_marker (note text)');
    await client.query("insert into e2e_marker values ('written by the first run')");
    await client.end();

    const stopped = await stop(proc);
    expect(stopped.code).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });

  it('reuses the database on the second start: data intact, clean stop', async () => {
    const port = await freePort();
    const { proc } = await start(port);
    expect(proc.output()).not.toContain('creating the embedded Postgres cluster');

    const creds = JSON.parse(await readFile(join(dataDir, 'postgres.json'), 'utf8')) as {
      user: string;
      password: string;
      database: string;
    };
    const pid = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
    const client = new pg.Client({
      host: '127.0.0.1',
      port: Number(pid[3]),
      user: creds.user,
      password: creds.password,
      database: creds.database,
    });
    await client.connect();
    const { rows } = await client.query('select note from e2e_marker');
    await client.end();
    expect(rows).toEqual([{ note: 'written by the first run' }]);

    const stopped = await stop(proc);
    expect(stopped.code).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });

  it('adopts a Postgres orphaned by a killed server, and stops it at the end', async () => {
    const port = await freePort();
    const first = await start(port);
    // Kill the server itself (npm's child), as a crash or an OOM kill would.
    const server = Number(execFileSync('pgrep', ['-P', String(first.proc.child.pid)], { encoding: 'utf8' }).trim());
    process.kill(server, 'SIGKILL');
    await first.proc.exited;
    expect(postgresProcessesFor(dataDir).length).toBeGreaterThan(0);

    const { proc } = await start(await freePort());
    expect(proc.output()).toContain('already running');
    expect((await stop(proc)).code).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });
});

// A person's Ctrl-C: the terminal signals the whole foreground process group (npm and Baton), and
// npm forwards its copy to Baton as well. Same for a SIGTERM sent to the group (a process manager).
describe('npm start stopped through its process group', { timeout: 4 * startPatienceMs }, () => {
  const dirs: string[] = [];
  const groups: number[] = [];
  const clients: RealtimeClient[] = [];
  afterAll(async () => {
    for (const c of clients) c.destroy();
    for (const pid of groups)
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    for (const dir of dirs) {
      for (const pid of postgresProcessesFor(dir))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      await rm(dir, { recursive: true, force: true });
    }
  });

  /** `npm start` in its own process group, as a shell runs a foreground job. */
  async function startGroup(
    dir: string,
  ): Promise<{ pid: number; port: number; exited: Promise<number | string>; output: () => string }> {
    const port = await freePort();
    let idpPort = await freePort();
    while (idpPort === port) idpPort = await freePort();
    const env: Record<string, string | undefined> = {
      ...process.env,
      BATON_DATA_DIR: dir,
      PORT: String(port),
      BATON_DEV_IDP_PORT: String(idpPort),
      LOG_LEVEL: 'info',
    };
    for (const name of ['DATABASE_URL', 'BATON_ENV', 'BATON_LOG_FORMAT']) delete env[name];
    const child = spawn('npm', ['start'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const pid = child.pid ?? 0;
    groups.push(pid);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | string>((resolve) =>
      child.on('exit', (code, sig) => resolve(code ?? sig ?? 'unknown')),
    );
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, startPatienceMs);
    return { pid, port, exited, output: () => out };
  }

  async function stopGroup(
    run: { pid: number; exited: Promise<number | string>; output: () => string },
    signal: NodeJS.Signals,
    dir: string,
  ): Promise<void> {
    process.kill(-run.pid, signal);
    const code = await run.exited;
    expect(code, run.output()).toBe(0);
    expect(run.output()).toContain('stopping embedded Postgres');
    expect(run.output()).not.toContain('exiting now');
    await expect.poll(() => postgresProcessesFor(dir), { timeout: 30_000 }).toEqual([]);
    await expect(readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8')).rejects.toThrow();
  }

  /** A token and a dashboard in the running server's embedded database. */
  async function arrange(dir: string): Promise<{ token: string; dashboardId: string }> {
    const creds = JSON.parse(await readFile(join(dir, 'postgres.json'), 'utf8')) as {
      user: string;
      password: string;
      database: string;
    };
    const pid = (await readFile(join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
    const url = `postgres://${creds.user}:${encodeURIComponent(creds.password)}@127.0.0.1:${pid[3]}/${creds.database}`;
    const db = createDatabase({ url, poolMax: 1, logger: silentLogger });
    try {
      const ctx = createPostgresAppContext(db, resolveConfig({ BATON_ENV: 'test', DATABASE_URL: url }));
      const made = await bootstrapToken(ctx, { email: 'ctrl-c@example.com', workspaceName: 'Ctrl-C' });
      const dashboardId = (
        await createDashboard(
          ctx,
          sessionPrincipal(made.user.id),
          made.workspace?.id ?? '',
          { name: 'Ctrl-C' },
          'setup',
        )
      ).id;
      return { token: made.secret, dashboardId };
    } finally {
      await db.destroy();
    }
  }

  it(
    'drains, stops the embedded Postgres and exits 0 on SIGINT to ' +
      'the group (Ctrl-C), keeping an edit acknowledged just before',
    async () => {
      const dir = await mkdtemp(join(process.cwd(), '.data', 'e2e-group-'));
      dirs.push(dir);
      const first = await startGroup(dir);
      expect(postgresProcessesFor(dir).length).toBeGreaterThan(0);
      const { token, dashboardId } = await arrange(dir);
      const editor = connectClient(`http://127.0.0.1:${first.port}`, dashboardId, { token });
      clients.push(editor);
      await eventually(() => editor.provider.isSynced, 30_000, 'editor synced');
      editor.doc.getArray<string>('notes').push(['typed just before Ctrl-C']);
      await eventually(() => editor.provider.unsyncedChanges === 0, 30_000, 'edit acknowledged');

      await stopGroup(first, 'SIGINT', dir);
      editor.destroy();

      const second = await startGroup(dir);
      const reader = connectClient(`http://127.0.0.1:${second.port}`, dashboardId, { token });
      clients.push(reader);
      await eventually(() => reader.provider.isSynced, 30_000, 'reader synced');
      expect(reader.doc.getArray<string>('notes').toArray()).toEqual(['typed just before Ctrl-C']);
      reader.destroy();
      await stopGroup(second, 'SIGTERM', dir);
    },
  );

  it('drains, stops the embedded Postgres and exits 0 on SIGTERM to the group', async () => {
    const dir = await mkdtemp(join(process.cwd(), '.data', 'e2e-group-'));
    dirs.push(dir);
    const run = await startGroup(dir);
    expect(postgresProcessesFor(dir).length).toBeGreaterThan(0);
    await stopGroup(run, 'SIGTERM', dir);
  });
});

describe('start-up failures', () => {
  it('fails fast with a clear message when DATABASE_URL cannot be reached', async () => {
    // It gives up by itself (no endless retry): the test's own timeout is the only clock.
    const proc = spawnCommand('npm', ['start'], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x',
      PORT: String(await freePort()),
    });
    const code = await proc.exited;
    expect(code).not.toBe(0);
    expect(proc.output()).toContain(
      'Baton could not start: Cannot reach the database at postgres://nobody@127.0.0.1:1/x',
    );
    expect(proc.output()).not.toMatch(/^\s+at /m);
  });

  it('names the bad variable and exits non-zero', async () => {
    const proc = spawnCommand('npm', ['start'], { PORT: 'eighty' });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output()).toContain('PORT: expected a whole number (got "eighty")');
  });

  it('refuses production without DATABASE_URL', async () => {
    const proc = spawnCommand('npm', ['start'], {
      BATON_ENV: 'production',
      DATABASE_URL: undefined,
      BATON_PUBLIC_URL: 'https://b.example.com',
    });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output()).toContain('DATABASE_URL: is required in production');
  });
});
