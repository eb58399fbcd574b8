import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/postgres/embedded-postgres.ts';
import { postgresProcessesFor, spawnCommand, waitForStatus, type Spawned } from '../support/processes.ts';

// `npm start` as a newcomer runs it: no DATABASE_URL, so the embedded Postgres under BATON_DATA_DIR.
describe('npm start with the embedded database', () => {
  let dataDir: string;
  let running: Spawned | undefined;
  afterAll(async () => {
    if (running !== undefined && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
    }
    if (dataDir !== undefined) {
      // Never leave a cluster behind, even when an assertion failed half-way.
      for (const pid of postgresProcessesFor(dataDir)) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  async function start(port: number): Promise<{ proc: Spawned; readyMs: number }> {
    // The development identity provider listens too: give it a port known to be free (PORT + 1 may not be).
    let idpPort = await freePort();
    while (idpPort === port) idpPort = await freePort();
    const proc = spawnCommand('npm', ['start'], { DATABASE_URL: undefined, BATON_ENV: undefined, BATON_DATA_DIR: dataDir, PORT: String(port), BATON_DEV_IDP_PORT: String(idpPort), LOG_LEVEL: 'info', BATON_LOG_FORMAT: undefined });
    running = proc;
    const readyMs = await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, 30_000, proc);
    return { proc, readyMs };
  }

  async function stop(proc: Spawned): Promise<{ code: number | string; ms: number }> {
    const began = Date.now();
    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    return { code, ms: Date.now() - began };
  }

  it('is ready within 30 s on the first start, prints its URL, and stops cleanly on SIGTERM', async () => {
    dataDir = await mkdtemp(join(process.cwd(), '.data', 'e2e-start-'));
    const port = await freePort();
    const { proc, readyMs } = await start(port);
    expect(readyMs).toBeLessThan(30_000);
    expect(proc.output()).toContain(`Baton is ready at http://127.0.0.1:${port}`);

    // Write something, to prove the second start keeps it.
    const creds = JSON.parse(await readFile(join(dataDir, 'postgres.json'), 'utf8')) as { user: string; password: string; database: string };
    const pid = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
    const client = new pg.Client({ host: '127.0.0.1', port: Number(pid[3]), user: creds.user, password: creds.password, database: creds.database });
    await client.connect();
    await client.query('create table e2e_marker (note text)');
    await client.query("insert into e2e_marker values ('written by the first run')");
    await client.end();

    const stopped = await stop(proc);
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });

  it('reuses the database on the second start: ready within 8 s, data intact, clean stop', async () => {
    const port = await freePort();
    const { proc, readyMs } = await start(port);
    expect(readyMs).toBeLessThan(8_000);
    expect(proc.output()).not.toContain('creating the embedded Postgres cluster');

    const creds = JSON.parse(await readFile(join(dataDir, 'postgres.json'), 'utf8')) as { user: string; password: string; database: string };
    const pid = (await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n');
    const client = new pg.Client({ host: '127.0.0.1', port: Number(pid[3]), user: creds.user, password: creds.password, database: creds.database });
    await client.connect();
    const { rows } = await client.query('select note from e2e_marker');
    await client.end();
    expect(rows).toEqual([{ note: 'written by the first run' }]);

    const stopped = await stop(proc);
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(10_000);
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

describe('start-up failures', () => {
  it('fails fast with a clear message when DATABASE_URL cannot be reached', async () => {
    const began = Date.now();
    const proc = spawnCommand('npm', ['start'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/x', PORT: String(await freePort()) });
    const code = await proc.exited;
    expect(code).not.toBe(0);
    expect(Date.now() - began).toBeLessThan(15_000);
    expect(proc.output()).toContain('Baton could not start: Cannot reach the database at postgres://nobody@127.0.0.1:1/x');
    expect(proc.output()).not.toMatch(/^\s+at /m);
  });

  it('names the bad variable and exits non-zero', async () => {
    const proc = spawnCommand('npm', ['start'], { PORT: 'eighty' });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output()).toContain('PORT: expected a whole number (got "eighty")');
  });

  it('refuses production without DATABASE_URL', async () => {
    const proc = spawnCommand('npm', ['start'], { BATON_ENV: 'production', DATABASE_URL: undefined, BATON_PUBLIC_URL: 'https://b.example.com' });
    expect(await proc.exited).not.toBe(0);
    expect(proc.output()).toContain('DATABASE_URL: is required in production');
  });
});
