#!/usr/bin/env node
// The `baton` command (package.json "bin"): runs cli/main.ts with the current node. Node 22.18+ and
// 23.6+ strip TypeScript types themselves; an older node gets a child process with
// --experimental-strip-types, whose exit code (or signal) becomes ours. Installed from a package (under
// node_modules, where Node never strips types), a loader hook strips the package's own files.
import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { sep } from 'node:path';
import process from 'node:process';
import { URL, fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));
// Under node_modules (npm install -g from a package, or a dependency), not a clone.
const installed = realpathSync(fileURLToPath(new URL('../../', import.meta.url)))
  .split(sep)
  .includes('node_modules');
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

if (major < 22 || (major === 22 && minor < 12)) {
  process.stderr.write(`baton needs Node.js 22.12 or newer; this is ${process.version} (${process.execPath})\n`);
  process.exitCode = 1;
} else if (installed) {
  // Installed from a package: Node does not strip types under node_modules, so a loader hook does
  // it for the package's own files (stripTypeScriptTypes needs Node 22.13).
  if (typeof nodeModule.stripTypeScriptTypes !== 'function') {
    process.stderr.write(
      `an installed baton needs Node.js 22.13 or newer; this is ${process.version} (${process.execPath})\n`,
    );
    process.exitCode = 1;
  } else {
    nodeModule.register('./node-modules-typescript.js', import.meta.url, {
      data: { root: new URL('../../', import.meta.url).href },
    });
    await import(main);
  }
} else if (process.features.typescript) {
  await import(main);
} else {
  const child = spawn(
    process.execPath,
    ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', main, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  // The terminal sends Ctrl-C to the whole process group; the child handles it. Other senders reach us alone.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}
