import { Redis } from 'ioredis';

export class RedisUnavailableError extends Error {}

/** Pings Redis once with a short timeout so start-up fails fast and clearly. */
export async function checkRedis(url: string): Promise<void> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const u = new URL(url);
    throw new RedisUnavailableError(
      `Redis is not reachable at ${u.hostname}:${u.port || '6379'} (${(error as Error).message}). Start Redis or set REDIS_URL.`,
    );
  } finally {
    client.disconnect();
  }
}

/** Injection token of the shared ioredis client (rate limits, counters, caches). */
export const REDIS = Symbol('REDIS');

export function createRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: 3, enableReadyCheck: true });
}
