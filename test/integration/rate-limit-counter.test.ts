import { describe } from 'vitest';
import { createDatabase } from '../../src/adapters/postgres/database.ts';
import { createPostgresRateLimitCounter } from '../../src/adapters/postgres/rate-limit-store.ts';
import { createRedisRateLimitCounter } from '../../src/adapters/redis/rate-limit-store.ts';
import { createTestDatabase } from '../support/database.ts';
import { redisServer, startRedis } from '../support/redis.ts';
import { silentLogger } from '../support/silent-logger.ts';
import { describeRateLimitCounter } from '../support/suites/rate-limit-counter-suite.ts';

describeRateLimitCounter('Postgres', async () => {
  const database = await createTestDatabase();
  // Two pools: two instances' connections.
  const pools = [
    createDatabase({ url: database.url, poolMax: 4, logger: silentLogger }),
    createDatabase({ url: database.url, poolMax: 4, logger: silentLogger }),
  ] as const;
  const counters = [createPostgresRateLimitCounter(pools[0]), createPostgresRateLimitCounter(pools[1])] as const;
  return {
    counters,
    async close() {
      for (const counter of counters) await counter.close();
      for (const pool of pools) await pool.destroy();
      await database.drop();
    },
  };
});

describe.skipIf(redisServer === undefined)('with redis-server', () => {
  describeRateLimitCounter('Redis', async () => {
    const redis = await startRedis();
    const counters = [createRedisRateLimitCounter(redis.url), createRedisRateLimitCounter(redis.url)] as const;
    return {
      counters,
      async close() {
        for (const counter of counters) await counter.close();
        await redis.stop();
      },
    };
  });
});
