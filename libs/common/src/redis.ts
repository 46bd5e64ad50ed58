import { createHash } from 'node:crypto';
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

/** Longest a command on the shared client may wait for an answer. */
export const REDIS_COMMAND_TIMEOUT_MS = 3000;

/**
 * The shared client fails fast while Redis is unreachable, so a request that
 * needs Redis (login throttle, health) answers 503 at once instead of
 * queueing its command until the connection comes back.
 */
export function createRedis(url: string): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    enableReadyCheck: true,
  });
}

/**
 * Longest an API request waits to add a job before answering 503. BullMQ's
 * connection keeps its offline queue, as workers need (with it off, a worker
 * whose connection is closing retries its blocking read without pause and
 * starves the process), so producers bound their adds with this instead.
 */
export const ENQUEUE_TIMEOUT_MS = 2000;

/** The shared client once it is ready: it refuses commands before that (see `createRedis`). */
export async function connectRedis(url: string, timeoutMs = 10_000): Promise<Redis> {
  const client = createRedis(url);
  // Until the DependencyMonitor listens, an error with no listener would be printed with its stack.
  client.on('error', () => undefined);
  if (client.status === 'ready') return client;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  } catch (error) {
    client.disconnect();
    const u = new URL(url);
    throw new RedisUnavailableError(
      `Redis is not reachable at ${u.hostname}:${u.port || '6379'} (${(error as Error).message}). Start Redis or set REDIS_URL.`,
    );
  }
  return client;
}

/** A Lua script with its SHA-1, for `runScript`. */
export interface RedisScript {
  source: string;
  sha: string;
}

export const redisScript = (source: string): RedisScript => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
});

/** Runs a script by its hash, sending its text only when this Redis has not seen it (after a restart or flush). */
export async function runScript<T>(redis: Redis, script: RedisScript, keys: string[], args: string[]): Promise<T> {
  try {
    return (await redis.evalsha(script.sha, keys.length, ...keys, ...args)) as T;
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return (await redis.eval(script.source, keys.length, ...keys, ...args)) as T;
  }
}
