import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomSecret, sha256 } from '../../src/app/identity/secrets.ts';
import { bootstrapToken } from '../../src/app/identity/tokens.ts';
import { callApi } from '../support/api.ts';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

/**
 * `baton login` by device sign-in (RFC 8628) against the real server: the CLI prints a code and the
 * console's URL, a signed-in browser session approves (or denies) it, and the CLI stores the token
 * it polled for. The server's clock is the test's, so a code can expire without waiting.
 */
const clock = { offsetMs: 0, now: () => new Date(Date.now() + clock.offsetMs) };
let database: TestDatabase;
let baton: TestApp;
let cookie: string;
let configDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  baton = await startTestApp(database.url, { BATON_RATE_LIMIT_AUTH_PER_MINUTE: '100000' }, { clock });
  const made = await bootstrapToken(baton.ctx, { email: 'ada@example.com', workspaceName: 'Ada' });
  const secret = randomSecret();
  await baton.ctx.sessions.create({
    secretHash: await sha256(secret),
    userId: made.user.id,
    idleExpiresAt: new Date(Date.now() + 86_400_000),
    absoluteExpiresAt: new Date(Date.now() + 2 * 86_400_000),
  });
  cookie = `baton_session=${secret}`;
  configDir = await mkdtemp(join(tmpdir(), 'baton-cli-device-'));
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
  if (configDir !== undefined) await rm(configDir, { recursive: true, force: true });
});

/** Starts `baton login` and resolves with the user code it prints, and its exit. */
async function startLogin(
  name: string,
): Promise<{ code: string; url: string; exited: Promise<{ code: number | string; stdout: string; stderr: string }> }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    BATON_URL: undefined,
    BATON_TOKEN: undefined,
    BATON_CONFIG_DIR: configDir,
    BATON_KEYRING: 'off',
    NO_COLOR: '1',
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, ['cli/bin/baton.js', 'login', '--url', baton.url, '--name', name], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | string; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code: code ?? signal ?? 'unknown', stdout, stderr })),
  );
  const printed = await eventually(
    () => /open (\S+)\nand confirm the code ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(stderr) ?? undefined,
    15_000,
    `the code is printed (${stderr})`,
  );
  return { url: printed[1] ?? '', code: printed[2] ?? '', exited };
}

async function decide(code: string, verb: 'approve' | 'deny'): Promise<number> {
  const res = await fetch(`${baton.url}/v1/device/${code}/${verb}`, {
    method: 'POST',
    headers: { cookie, origin: baton.url, 'content-type': 'application/json' },
    body: '{}',
  });
  return res.status;
}

describe('baton login (device sign-in)', () => {
  it(
    'prints the code and the console URL; approved in a browser ' +
      'session, the CLI stores its own token, which then works',
    async () => {
      const login = await startLogin('device');
      expect(login.url).toBe(`${baton.url}/device?code=${login.code}`);
      expect(await decide(login.code, 'approve')).toBe(200);
      const done = await login.exited;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stdout).toContain('Signed in to');
      expect(done.stdout).toContain('ada@example.com');
      const whoami = await runCli(['--json', 'whoami'], { configDir });
      expect(whoami.code, whoami.stderr).toBe(0);
      const me = JSON.parse(whoami.stdout) as { authentication: { tokenId: string } };
      // A token of its own, listed with the others.
      const tokens = (
        await callApi(
          baton.url,
          'GET',
          '/v1/tokens',
          (await bootstrapToken(baton.ctx, { email: 'ada@example.com' })).secret,
        )
      ).body as { tokens: Array<{ id: string; name: string }> };
      expect(tokens.tokens).toContainEqual(
        expect.objectContaining({ id: me.authentication.tokenId, name: `CLI on ${hostname()}` }),
      );
      // Approving the same code again is refused: it was used.
      expect(await decide(login.code, 'approve')).toBe(409);
    },
  );

  it('a denied code fails clearly (exit 3)', async () => {
    const login = await startLogin('denied');
    expect(await decide(login.code, 'deny')).toBe(200);
    const done = await login.exited;
    expect(done.code).toBe(3);
    expect(done.stderr).toContain('denied');
  });

  it('an expired code fails clearly (exit 3)', async () => {
    const login = await startLogin('expired');
    clock.offsetMs += 11 * 60_000;
    try {
      const done = await login.exited;
      expect(done.code).toBe(3);
      expect(done.stderr).toContain('expired');
    } finally {
      clock.offsetMs = 0;
    }
  });
});
