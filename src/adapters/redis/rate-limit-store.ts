import { Redis } from 'ioredis';
import type { RateLimitCounter } from '../../ports/rate-limits.ts';

/**
 * One round trip per request: count, start the window's expiry with its first request, and report
 * how long the window has left. A key that somehow lost its expiry gets one again.
 */
const hitScript = `
local count = redis.call('INCR', KEYS[1])
local ttl = tonumber(ARGV[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  local left = redis.call('PTTL', KEYS[1])
  if left < 0 then redis.call('PEXPIRE', KEYS[1], ttl) else ttl = left end
end
return {count, ttl}`;

interface RedisWithHit {
  batonRateLimitHit(key: string, windowMs: number): Promise<[number, number]>;
}

/**
 * Rate-limit counts in Redis (REDIS_URL), shared by every instance. While Redis cannot be reached a
 * hit waits for one reconnection attempt at most, then fails (the caller serves the request, and
 * gives up sooner still); the client keeps reconnecting in the background, so limits hold again as
 * soon as Redis is back. Hits made before the first connection is up wait for it.
 */
export function createRedisRateLimitCounter(url: string): RateLimitCounter {
  const client = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 2_000, commandTimeout: 1_000 });
  // Failures reach the caller through the rejected hits (it logs them once); an unheard 'error'
  // event would only make ioredis print each reconnection attempt.
  client.on('error', () => undefined);
  client.defineCommand('batonRateLimitHit', { numberOfKeys: 1, lua: hitScript });
  const hit = (client as unknown as RedisWithHit).batonRateLimitHit.bind(client);
  return {
    async hit(key, windowMs) {
      const [count, resetInMs] = await hit(`baton:rate-limit:${key}`, windowMs);
      return { count, resetInMs: Math.max(0, resetInMs) };
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
