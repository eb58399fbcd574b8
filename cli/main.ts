import { exitCodes } from './exit-codes.ts';
import { runCli } from './program.ts';
import { createRuntime } from './runtime.ts';

/** `baton`: the terminal client of Baton (docs/cli.md). Started by cli/bin/baton.js. */
process.on('SIGINT', () => process.exit(exitCodes.interrupted));
process.exitCode = await runCli(
  process.argv.slice(2),
  createRuntime(process.env, { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin }),
);
