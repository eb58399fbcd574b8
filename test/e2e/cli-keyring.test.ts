import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { createTeam, type Team } from '../support/team.ts';
import { startTestApp, type TestApp } from '../support/test-app.ts';

// `baton login` keeps the token in the OS keyring when one answers: here a real Secret Service
// (gnome-keyring, unlocked, in a D-Bus session of its own) reached through libsecret's secret-tool,
// as on a Linux desktop. `.ci/run` installs them (gnome-keyring, libsecret-tools, dbus).
const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../cli/bin/baton.js', import.meta.url));
let database: TestDatabase;
let baton: TestApp;
let team: Team;
let home: string;

beforeAll(async () => {
  await run('sh', [
    '-c',
    'command -v dbus-run-session && command -v gnome-keyring-daemon && command -v secret-tool',
  ]).catch(() => {
    throw new Error(
      'The CLI keyring test needs a Secret Service: install it with `sudo ' +
        'apt-get install -y gnome-keyring libsecret-tools dbus` (.ci/run does).',
    );
  });
  database = await createTestDatabase();
  baton = await startTestApp(database.url);
  team = await createTeam(baton, 'Keyring');
  home = await mkdtemp(join(tmpdir(), 'baton-keyring-'));
});
afterAll(async () => {
  await baton?.close();
  await database?.drop();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

/** Runs `script` (sh) in a D-Bus session with an unlocked keyring; the CLI is `$BATON`. */
async function inKeyringSession(script: string, env: Record<string, string> = {}): Promise<string> {
  const session = `printf unlock | gnome-keyring-daemon --unlock --components=secrets >/dev/null && ${script}`;
  const { stdout } = await run('dbus-run-session', ['--', 'sh', '-c', session], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      BATON_CONFIG_DIR: join(home, 'config'),
      BATON: `${process.execPath} ${bin}`,
      NO_COLOR: '1',
      ...env,
    },
  });
  return stdout;
}

describe('baton login with an OS keyring', () => {
  it('stores the token in the Secret Service, not in a file, and uses it from there', async () => {
    const out = await inKeyringSession(
      `printf '%s\\n' "$TOKEN" | $BATON login --url "$URL" --with-token --name here >/dev/null 2>&1; ` +
        `$BATON whoami --json; echo '<<keyring>>'; secret-tool lookup service baton context here`,
      { TOKEN: team.owner.secret, URL: baton.url },
    );
    const [whoami = '', stored = ''] = out.split('<<keyring>>').map((part) => part.trim());
    expect((JSON.parse(whoami) as { user: { id: string } }).user.id).toBe(team.owner.userId);
    // The keyring holds the token; the config directory holds no secret.
    expect(stored).toBe(team.owner.secret);
    const files = await readdir(join(home, 'config'));
    expect(files).not.toContain('credentials.json');
    for (const file of files)
      expect(await readFile(join(home, 'config', file), 'utf8')).not.toContain(team.owner.secret);
  });
});
