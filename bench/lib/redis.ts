import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/**
 * A queue prefix of one benchmark run: Herald claims its prefix for its
 * database, and the claim of the previous run (another database, dropped)
 * lasts a minute after it stopped.
 */
export const runPrefix = (name: string): string => `herald-bench-${name}-${randomBytes(4).toString('hex')}`;

/** Deletes every Redis key of a run's prefix. */
export async function dropPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    for (let cursor = '0'; ;) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}
