import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { commandTree } from '../../../cli/commands/completion.ts';
import { exitCodes } from '../../../cli/exit-codes.ts';
import { createProgram, runCli } from '../../../cli/program.ts';
import { createRuntime } from '../../../cli/runtime.ts';

function runtime() {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const rt = createRuntime(
    { BATON_CONFIG_DIR: '/nonexistent/baton-test', BATON_KEYRING: 'off' },
    { stdout, stderr, stdin: new PassThrough() },
  );
  return { rt, out: () => out, err: () => err };
}

/** Every command below `command`, with its path. */
function walk(command: Command, prefix: string[] = []): Array<{ path: string; command: Command }> {
  return command.commands.flatMap((sub) => [
    { path: [...prefix, sub.name()].join(' '), command: sub },
    ...walk(sub, [...prefix, sub.name()]),
  ]);
}

describe('the baton command tree', () => {
  it("has a description and help on every command, and lists the issue's commands", () => {
    const program = createProgram(runtime().rt);
    const all = walk(program);
    for (const { path, command } of all) {
      expect(command.description(), `${path} has a description`).not.toBe('');
      expect(command.helpInformation(), `${path} has help`).toContain(command.description().slice(0, 20));
    }
    const paths = all.map((entry) => entry.path);
    for (const expected of [
      'login',
      'logout',
      'contexts ls',
      'contexts use',
      'contexts rm',
      'whoami',
      'workspaces ls',
      'dashboards ls',
      'dashboards create',
      'dashboards open',
      'items add',
      'items ls',
      'items done',
      'recipes ls',
      'recipes push',
      'recipes validate',
      'recipes versions',
      'recipes templates',
      'run',
      'executions ls',
      'executions show',
      'executions pause',
      'executions resume',
      'executions cancel',
      'executions retry',
      'executions skip',
      'executions input',
      'executions move',
      'executions signal',
      'approvals',
      'approve',
      'reject',
      'schedules ls',
      'schedules create',
      'schedules pause',
      'schedules resume',
      'schedules fires',
      'triggers ls',
      'triggers events',
      'tokens ls',
      'tokens create',
      'tokens revoke',
      'admin migrate',
      'admin create-token',
      'admin rotate-credentials',
      'completion',
    ]) {
      expect(paths, expected).toContain(expected);
    }
  });

  it(
    '`--help` on a command ends with 0 and prints its ' + 'help; an unknown command or option is a usage error (2)',
    async () => {
      const help = runtime();
      expect(await runCli(['executions', 'skip', '--help'], help.rt)).toBe(exitCodes.ok);
      expect(help.out()).toContain('Usage: baton executions skip');
      const unknown = runtime();
      expect(await runCli(['frobnicate'], unknown.rt)).toBe(exitCodes.usage);
      expect(unknown.err()).toContain("unknown command 'frobnicate'");
      expect(await runCli(['whoami', '--frobnicate'], runtime().rt)).toBe(exitCodes.usage);
      expect(await runCli(['run', 'gate'], runtime().rt)).toBe(exitCodes.usage);
    },
  );

  it('completion scripts come from the same tree (hidden aliases left out)', async () => {
    const program = createProgram(runtime().rt);
    const tree = commandTree(program);
    expect(tree.find((entry) => entry.path === 'executions')?.words).toEqual(
      expect.arrayContaining(['ls', 'show', 'skip', '--help']),
    );
    expect(tree.find((entry) => entry.path === '')?.words).not.toContain('rotate-credentials');
    for (const shell of ['bash', 'zsh', 'fish']) {
      const r = runtime();
      expect(await runCli(['completion', shell], r.rt)).toBe(exitCodes.ok);
      expect(r.out()).toContain('executions');
    }
    expect(await runCli(['completion', 'tcsh'], runtime().rt)).toBe(exitCodes.usage);
  });
});
