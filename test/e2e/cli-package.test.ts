import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };

// `npm install -g baton` from a package puts the CLI under node_modules, where Node never strips
// TypeScript types by itself. The package is packed (`npm pack`) and unpacked as an install would
// lay it out; its dependencies are this checkout's (no registry needed), and it runs as installed.
const run = promisify(execFile);
let root: string;
let bin: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'baton-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', root], { maxBuffer: 64 * 1024 * 1024 });
  const tarball = join(root, (JSON.parse(stdout) as Array<{ filename: string }>)[0]?.filename ?? '');
  const installed = join(root, 'lib', 'node_modules', 'baton');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
  await symlink(resolve('node_modules'), join(installed, 'node_modules'), 'dir');
  bin = join(installed, 'cli', 'bin', 'baton.js');
});

afterAll(async () => rm(root, { recursive: true, force: true }));

function baton(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    BATON_URL: undefined,
    BATON_TOKEN: undefined,
    BATON_CONFIG_DIR: join(root, 'config'),
    BATON_KEYRING: 'off',
    NO_COLOR: '1',
  };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  const child = spawn(process.execPath, [bin, ...args], { env, cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.on('close', (code) => done({ code, stdout, stderr })));
}

describe('the baton command installed from its package', () => {
  it('runs from under node_modules: its version, and a clear answer when not signed in', async () => {
    const version = await baton(['--version']);
    expect(version.stderr).toBe('');
    expect(version).toMatchObject({ code: 0, stdout: `${packageJson.version}\n` });
    const whoami = await baton(['whoami']);
    expect(whoami.code).toBe(3);
    expect(whoami.stderr).toContain('Not signed in');
    // Node's own refusal, or its warning about the loader, would be what a person sees instead.
    expect(whoami.stderr).not.toMatch(/ERR_UNSUPPORTED|ExperimentalWarning/);
  });
});
