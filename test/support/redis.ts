import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../../src/adapters/node-net/free-port.ts';

/** Debian's redis-server, when installed (`apt-get install redis-server`); CI images without it skip. */
export const redisServer = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

/** A throwaway redis-server (no persistence) on a free port. */
export interface TestRedis {
  readonly url: string;
  readonly process: ChildProcess;
  /** Stops it (SIGKILL: nothing to keep) and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts redis-server (on `port`, to bring one back); resolves once it accepts connections. */
export async function startRedis(port?: number): Promise<TestRedis> {
  port ??= await freePort();
  const child = spawn(redisServer ?? 'redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  for (let i = 0; i < 100; i++) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return { url: `redis://127.0.0.1:${port}`, process: child, stop };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`redis-server did not listen on ${port}`);
}
