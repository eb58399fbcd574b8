import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/adapters/node-net/free-port.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  postgresProcessesFor,
  spawnCommand,
  startPatienceMs,
  waitForStatus,
  type Spawned,
} from '../support/processes.ts';
import { startTestApp } from '../support/test-app.ts';

async function createToken(
  env: Record<string, string | undefined>,
  ...args: string[]
): Promise<{ code: number | string; token: string; output: string }> {
  const proc = spawnCommand('npm', ['run', '--silent', 'baton', '--', 'admin', 'create-token', ...args], env);
  let stdout = '';
  proc.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await proc.exited;
  return { code, token: stdout.trim(), output: proc.output() };
}

async function me(url: string, token: string) {
  const res = await fetch(`${url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
  return {
    status: res.status,
    body: (await res.json()) as { user: { email: string }; workspaces: Array<{ name: string; role: string }> },
  };
}

describe('npm run baton -- admin create-token', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database.drop());

  it('creates the user and the workspace, and prints a working token alone on stdout', async () => {
    const made = await createToken(
      { DATABASE_URL: database.url },
      '--email',
      'Root@Example.com',
      '--workspace',
      'Acme',
    );
    expect(made.code).toBe(0);
    expect(made.token).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    expect(made.output).toContain('workspace "Acme"');
    const baton = await startTestApp(database.url);
    try {
      const who = await me(baton.url, made.token);
      expect(who.status).toBe(200);
      expect(who.body.user.email).toBe('root@example.com');
      expect(who.body.workspaces).toEqual([expect.objectContaining({ name: 'Acme', role: 'admin' })]);
      // A second run reuses the user and the workspace.
      const again = await createToken(
        { DATABASE_URL: database.url },
        '--email',
        'root@example.com',
        '--workspace',
        'Acme',
      );
      expect((await me(baton.url, again.token)).body.workspaces).toHaveLength(1);
    } finally {
      await baton.close();
    }
  });

  it('runs as the README writes it: inside $(...) the variable holds the token alone (no npm banner)', async () => {
    const line = readFileSync('README.md', 'utf8')
      .split('\n')
      .find((text) => text.includes('$(npm run') && text.includes('admin create-token'));
    expect(line, 'the README assigns the token with $(npm run … admin create-token …)').toBeDefined();
    const shell = spawnCommand('sh', ['-c', `${line ?? ''}\nprintf '%s' "$TOKEN"`], { DATABASE_URL: database.url });
    let stdout = '';
    shell.child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    expect(await shell.exited, shell.output()).toBe(0);
    expect(stdout).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
  });

  it('explains what is missing', async () => {
    const made = await createToken({ DATABASE_URL: database.url });
    expect(made.code).toBe(2);
    expect(made.output).toContain('needs --email');
  });
});

describe('create-token with the embedded database', () => {
  let dataDir: string;
  let server: Spawned | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(process.cwd(), '.data', 'e2e-token-'));
  });
  afterAll(async () => {
    if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
    for (const pid of postgresProcessesFor(dataDir))
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    await rm(dataDir, { recursive: true, force: true });
  });
  const env = () => ({
    DATABASE_URL: undefined,
    BATON_ENV: 'development',
    BATON_DATA_DIR: dataDir,
    BATON_DEV_IDP: 'false',
  });

  it('starts and stops the database itself when no server runs', async () => {
    const made = await createToken(env(), '--email', 'first@example.com');
    expect(made.code).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });

  it("uses the running server's database and leaves it running", { timeout: 3 * startPatienceMs }, async () => {
    const port = await freePort();
    server = spawnCommand('npm', ['start'], { ...env(), PORT: String(port) });
    await waitForStatus(`http://127.0.0.1:${port}/readyz`, 200, startPatienceMs, server);
    const made = await createToken(env(), '--email', 'second@example.com', '--workspace', 'Live');
    expect(made.code).toBe(0);
    // The server answers with the new token: same database, and the CLI did not stop it.
    const who = await me(`http://127.0.0.1:${port}`, made.token);
    expect(who.status).toBe(200);
    expect(who.body.workspaces.map((w) => w.name)).toEqual(['Live']);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(postgresProcessesFor(dataDir)).toEqual([]);
  });
});
