import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

// `source <(baton completion bash)` in a real bash: the completion function, called as bash calls
// it on Tab (COMP_WORDS, COMP_CWORD), offers the command tree's words. fish completes through its
// own `complete -C`; zsh's script (bashcompinit) is checked by zsh's parser. `.ci/run` installs
// zsh and fish.
const run = promisify(execFile);
let dir: string;
let script: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-completion-'));
  const printed = await runCli(['completion', 'bash'], { configDir: join(dir, 'config') });
  expect(printed.code).toBe(0);
  script = join(dir, 'baton.bash');
  await writeFile(script, printed.stdout);
});

afterAll(async () => rm(dir, { recursive: true, force: true }));

/** What bash offers after `words` (the last one being typed). */
async function complete(...words: string[]): Promise<string[]> {
  const line =
    `source ${JSON.stringify(script)}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')}` +
    `); COMP_CWORD=${words.length - 1}; _baton; printf '%s\\n' "\${COMPREPLY[@]}"; complete -p baton`;
  const { stdout } = await run('bash', ['--norc', '--noprofile', '-c', line]);
  return stdout.split('\n').filter((l) => l !== '');
}

describe('baton completion bash', () => {
  it('completes commands, subcommands and options in a real bash', async () => {
    const top = await complete('baton', 'dash');
    expect(top).toContain('dashboards');
    expect(top.at(-1)).toMatch(/^complete .*_baton.* baton$/);
    const sub = await complete('baton', 'dashboards', '');
    expect(sub).toEqual(expect.arrayContaining(['ls', 'create', 'open']));
    expect(await complete('baton', 'executions', 'pa')).toContain('pause');
    expect(await complete('baton', 'run', '--ex')).toContain('--exit-status');
  });

  it('fish completes the same words; zsh parses its script', async () => {
    const fish = await runCli(['completion', 'fish'], { configDir: join(dir, 'config') });
    const fishScript = join(dir, 'baton.fish');
    await writeFile(fishScript, fish.stdout);
    const offered = async (line: string) =>
      (
        await run('fish', [
          '--no-config',
          '-c',
          `source ${JSON.stringify(fishScript)}; complete -C ${JSON.stringify(line)}`,
        ])
      ).stdout
        .split('\n')
        .map((l) => l.split('\t')[0]);
    expect(await offered('baton dash')).toContain('dashboards');
    expect(await offered('baton dashboards ')).toEqual(expect.arrayContaining(['ls', 'create', 'open']));
    const zsh = await runCli(['completion', 'zsh'], { configDir: join(dir, 'config') });
    const zshScript = join(dir, '_baton');
    await writeFile(zshScript, zsh.stdout);
    await run('zsh', ['-n', zshScript]);
    expect(zsh.stdout).toContain('#compdef baton');
  });
});
