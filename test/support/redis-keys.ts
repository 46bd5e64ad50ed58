import { Redis } from 'ioredis';

export const testRedisUrl = (): string => process.env.HERALD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Key prefixes of one test run carry the pid of the run, like its databases,
 * so that a run can check what it left behind and clean up after a killed one.
 */
export const testPrefixPattern = (runPid: string | number): string => `herald-test-${runPid}-*`;

/** Every key matching `pattern` (SCAN, never KEYS: the Redis is shared). */
export async function scanKeys(redis: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Deletes every key matching `pattern`; returns them. */
export async function deleteKeys(pattern: string): Promise<string[]> {
  const redis = new Redis(testRedisUrl(), { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await scanKeys(redis, pattern);
    for (let i = 0; i < keys.length; i += 500) await redis.unlink(...keys.slice(i, i + 500));
    return keys;
  } finally {
    redis.disconnect();
  }
}
