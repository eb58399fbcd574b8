import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Podman and podman-compose as the container test drives them: what is missing on this machine (the
 * test is then skipped and says why), a containers.conf for this kind of machine, and commands run
 * with their output kept for failure messages.
 */

/** Why the container engine cannot run here, or undefined when it can. */
export function whyNoEngine(): string | undefined {
  if (process.platform !== 'linux') return 'podman runs on Linux only';
  if (process.getuid?.() !== 0)
    return 'the test runs podman as root (rootless podman needs subuid set-up this test does not do)';
  for (const tool of ['podman', 'podman-compose', 'debootstrap']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0)
      return `${tool} is not installed (Debian: apt-get install podman buildah runc podman-compose debootstrap)`;
  }
  return undefined;
}

/**
 * Writes a containers.conf: runc (crun refuses hybrid cgroup hierarchies) and default ulimits below
 * this machine's hard limits (podman's defaults exceed them, and the container then fails to start).
 */
export function writeContainersConf(dir: string): string {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const hard = (name: string, fallback: number) => {
    const value = new RegExp(`^${name}\\s+\\S+\\s+(\\S+)`, 'm').exec(limits)?.[1];
    return value === undefined || value === 'unlimited' ? fallback : Number(value);
  };
  const nofile = Math.min(hard('Max open files', 16_384), 16_384);
  const nproc = Math.min(hard('Max processes', 8_192), 8_192);
  const path = join(dir, 'containers.conf');
  writeFileSync(
    path,
    `[containers]\ndefault_ulimits = ["nofile=${nofile}:${nofile}` +
      `", "nproc=${nproc}:${nproc}"]\n\n[engine]\nruntime = "runc"\n`,
  );
  return path;
}

/** A command's outcome. */
export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`); throws with its output unless it exits 0 or `allowFailure`. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; allowFailure?: boolean } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const ran = { code, stdout, stderr };
      if (code === 0 || options.allowFailure === true) resolve(ran);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${code}\n--- stdout\n` +
              `${stdout.slice(-4000)}\n--- stderr\n${stderr.slice(-4000)}`,
          ),
        );
    });
  });
}
