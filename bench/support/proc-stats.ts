/**
 * What one process costs, read from Linux's /proc: CPU time and resident memory of a process the
 * bench did not start itself (workerd, which Miniflare spawns) as well as of its own children.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 on every usual kernel). */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number): { comm: string; fields: string[] } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = stat.lastIndexOf(')');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, close),
    fields: stat
      .slice(close + 2)
      .trim()
      .split(' '),
  };
}

/** User plus system CPU time the process has used so far, all threads, in milliseconds. */
export function cpuMs(pid: number): number {
  // After the name: state, ppid, …; utime and stime are the 14th and 15th fields of the line.
  const { fields } = statFields(pid);
  return ((Number(fields[11]) + Number(fields[12])) / ticksPerSecond) * 1000;
}

/** The process's resident set size (VmRSS), in bytes. */
export function rssBytes(pid: number): number {
  const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

/** The ids of `parent`'s child processes whose command name is `name` (e.g. `workerd`). */
export function childProcesses(parent: number, name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const { comm, fields } = statFields(pid);
      if (comm === name && Number(fields[1]) === parent) found.push(pid);
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return found;
}
