import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { hostname } from 'node:os';
import { HERALD_CONFIG, type HeraldConfig } from './config.js';
import { asDependencyError } from './dependencies.js';
import { QUEUES } from './jobs.js';
import { REDIS } from './redis.js';

/** What a worker process says about itself in its heartbeat. */
export interface WorkerInfo {
  host: string;
  pid: number;
  startedAt: string;
  queues: string[];
}

/** A heartbeat is rewritten this often... */
export const HEARTBEAT_INTERVAL_MS = 10_000;
/** ...and expires after this long, so a killed worker drops out within 30 s. */
export const HEARTBEAT_TTL_SECONDS = 30;

const heartbeatPattern = (prefix: string) => `${prefix}:workers:*`;

export const heartbeatKey = (prefix: string, host: string, pid: number) => `${prefix}:workers:${host}:${pid}`;

/**
 * The worker processes whose heartbeat has not expired. `SCAN`, not `KEYS`:
 * the Redis may be shared and large, and `KEYS` blocks it while it walks
 * every key. The prefix is `[A-Za-z0-9_-]+` (config), so it holds no glob
 * character.
 */
export async function listLiveWorkers(redis: Redis, prefix: string): Promise<WorkerInfo[]> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', heartbeatPattern(prefix), 'COUNT', 500);
    for (const key of batch) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  if (keys.size === 0) return [];
  // A key may expire between SCAN and MGET; it is simply no longer live.
  const values = await redis.mget(...keys);
  return values.flatMap((value) => {
    if (value === null) return [];
    try {
      return [JSON.parse(value) as WorkerInfo];
    } catch {
      return [];
    }
  });
}

/**
 * Announces a worker process in Redis while it runs: a key per process,
 * rewritten every 10 s with a 30 s expiry, deleted on a clean shutdown.
 * `/health` and `/metrics` count these keys.
 */
@Injectable()
export class WorkerHeartbeat implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WorkerHeartbeat.name);
  private readonly key: string;
  private readonly info: WorkerInfo;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(REDIS) private readonly redis: Redis,
    @Inject(HERALD_CONFIG) config: HeraldConfig,
  ) {
    const host = hostname();
    this.key = heartbeatKey(config.HERALD_QUEUE_PREFIX, host, process.pid);
    this.info = { host, pid: process.pid, startedAt: new Date().toISOString(), queues: Object.values(QUEUES) };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.beat();
    // unref: the heartbeat alone must never keep a process (or a test run) alive.
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS).unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // Runs before the shared Redis client is closed (the core module is global,
    // and Nest shuts global modules down last).
    await this.redis.del(this.key).catch((error: unknown) => {
      this.logger.warn({ err: error }, 'could not remove the worker heartbeat; it expires on its own');
    });
  }

  private async beat(): Promise<void> {
    try {
      await this.redis.set(this.key, JSON.stringify(this.info), 'EX', HEARTBEAT_TTL_SECONDS);
    } catch (error) {
      // A missed beat is not fatal: the next one, 10 s later, renews the key.
      // A Redis outage is logged once by the DependencyMonitor, not every 10 s here.
      if (asDependencyError(error) === undefined) this.logger.warn({ err: error }, 'worker heartbeat failed');
    }
  }
}
