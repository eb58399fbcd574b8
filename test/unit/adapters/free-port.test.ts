import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../src/adapters/node-net/free-port.ts';

// Why it matters: a port the kernel chose for a listen(0) is in its ephemeral range, the same range
// it draws outgoing connections' local ports from, so a server started a moment later on it could
// find it taken (workerd failed CI that way with EADDRINUSE).
const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((done) => server.close(done))));
});

function listen(port: number, host = '127.0.0.1'): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      servers.push(server);
      resolve(server);
    });
  });
}

/** The kernel's ephemeral range on Linux, or the IANA one elsewhere. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low !== undefined && high !== undefined) return [low, high];
  } catch {
    // not Linux
  }
  return [49152, 65535];
}

describe('freePort', () => {
  it('gives ports outside the range the kernel hands out by itself, that a server can then listen on', async () => {
    const [low, high] = ephemeralRange();
    for (let i = 0; i < 20; i += 1) {
      const port = await freePort();
      expect(port >= low && port <= high, `${port} is in the ephemeral range ${low}-${high}`).toBe(false);
      expect(port).toBeGreaterThanOrEqual(1024);
      await listen(port);
    }
  });

  it('never gives a port something is listening on, on loopback or on every address', async () => {
    /** Candidates: `port` first, then whatever Math.random says. */
    const offering = (port: number) => {
      let first = true;
      return () => {
        if (!first) return Math.random();
        first = false;
        return (port - 20000 + 0.5) / (32767 - 20000 + 1);
      };
    };
    const onLoopback = await freePort();
    await listen(onLoopback);
    const onEvery = await freePort({ host: '0.0.0.0' });
    await listen(onEvery, '0.0.0.0');
    // The candidate function is honoured (a free port offered first is the answer)...
    const free = await freePort();
    expect(await freePort({ random: offering(free) })).toBe(free);
    // ...and a port in use is passed over, whichever address holds it.
    expect(await freePort({ random: offering(onLoopback) })).not.toBe(onLoopback);
    expect(await freePort({ random: offering(onEvery) })).not.toBe(onEvery);
    expect(await freePort({ host: '0.0.0.0', random: offering(onLoopback) })).not.toBe(onLoopback);
  });
});
