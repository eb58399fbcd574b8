import { Redis } from '@hocuspocus/extension-redis';

/**
 * Hocuspocus's Redis extension from a redis:// or rediss:// URL: several Baton instances then share
 * live documents (updates and awareness fan out through Redis pub/sub). Postgres stays the truth.
 */
export function createRedisExtension(url: string): Redis {
  const parsed = new URL(url);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : 0;
  return new Redis({
    host: parsed.hostname,
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    prefix: 'baton',
    options: {
      ...(parsed.username === '' ? {} : { username: decodeURIComponent(parsed.username) }),
      ...(parsed.password === '' ? {} : { password: decodeURIComponent(parsed.password) }),
      ...(Number.isInteger(db) ? { db } : {}),
      ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  });
}
